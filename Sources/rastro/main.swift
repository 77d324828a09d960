import RastroCLI

ProcessTuning.keepFreedMemory()
await runCommand(Rastro.self)
