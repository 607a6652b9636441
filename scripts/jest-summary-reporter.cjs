/* global process, module */
// Prints the run's totals as one plain line (`N passed, N failed, N skipped`) at the end of the run,
// so tools that read only the closing lines see what ran.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    process.stderr.write(
      `${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped\n`,
    );
  }
}

module.exports = SummaryReporter;
