import Testing

@testable import LuaKit

/// The position at the head of a Lua message is read once, into data.
@Suite struct LuaPositionTests {
    @Test(arguments: [
        ("Rules/coagulation.lua:12: attempt to compare nil with number", "Rules/coagulation.lua", 12, "attempt to compare nil with number"),
        ("[string \"x\"]:3: boom", "[string \"x\"]", 3, "boom"),
        ("a:b:7: colons in the file part", "a:b", 7, "colons in the file part"),
        ("rules/x.lua:2: first line\nrules/y.lua:9: second", "rules/x.lua", 2, "first line\nrules/y.lua:9: second"),
    ])
    func positionIsSplitIntoFileLineAndText(message: String, file: String, line: Int, text: String) throws {
        let position = try #require(LuaPosition(message: message))
        #expect(position.file == file)
        #expect(position.line == line)
        #expect(position.text == text)
    }

    @Test(arguments: [
        "not enough memory", ":3: no file", "rules/x.lua: no line", "x:12 no colon after the line", "\nrules/x.lua:3: on line two",
    ])
    func messageWithoutAPositionHasNone(message: String) {
        #expect(LuaPosition(message: message) == nil)
    }

    @Test func aSyntaxErrorCarriesItsPosition() throws {
        let state = try LuaState()
        do {
            _ = try state.compile("local x = \n", chunkName: "@rules/broken.lua")
            Issue.record("compiled")
        } catch {
            #expect(error.position?.file == "rules/broken.lua")
            #expect(error.position?.line == 2)
        }
    }
}
