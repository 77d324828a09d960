import RastroCLI

ProcessTuning.keepFreedMemory()
await runCommand(Rastrod.self)
