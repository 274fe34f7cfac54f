import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    HranaFuzzEntries.cursorBody(Data(bytes: start, count: count))
    return 0
}
