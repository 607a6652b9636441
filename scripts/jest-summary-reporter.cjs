// Prints the run's totals as one plain line (`N passed, N failed, N skipped`) as the very last line
// of the output, after jest's own summary, so tools that read only a closing line see what ran.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const line = `${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped\n`;
    process.once('exit', () => process.stderr.write(line));
  }
}

module.exports = SummaryReporter;
