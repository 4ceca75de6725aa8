export async function runBenchmarks(_opts: { quick: boolean }): Promise<void> {
  throw new Error('not yet');
}
