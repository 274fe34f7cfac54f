import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    PipelineFuzzEntries.pipeline(Data(bytes: start, count: count))
    return 0
}
