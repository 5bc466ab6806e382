import ArgumentParser

/// The workload of `eddy bench append` and `eddy bench read`.
struct BenchLogOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Records to write.", valueName: "n"))
    var records: Int = 10_000_000

    @Option(help: ArgumentHelp("Bytes of each record's value (keys are null).", valueName: "bytes"))
    var recordSize: Int = 100

    @Option(help: ArgumentHelp("Records per batch.", valueName: "n"))
    var batch: Int = 1000

    func validate() throws {
        guard records > 0 else { throw ValidationError("--records must be positive") }
        guard recordSize >= 0 else { throw ValidationError("--record-size must not be negative") }
        guard batch > 0, batch <= Int(Int32.max) else { throw ValidationError("--batch must be positive") }
        guard records % batch == 0 else { throw ValidationError("--records must be a multiple of --batch") }
    }

    var batchCount: Int { records / batch }
}
