import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    GzipFuzzEntries.decompress(Data(bytes: start, count: count))
    return 0
}
