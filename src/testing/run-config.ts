/** A complete RunConfig for tests: the app's defaults with the given fields replaced. */
import type { RunConfig } from '../protocol/messages.ts';

export function testConfig(overrides: Partial<RunConfig> = {}): RunConfig {
  return {
    runId: 'run1', algo: 'dp', dataset: 'mnist', model: 'mlp', optimizer: 'adam', learningRate: 0.001, epochs: 1,
    globalBatch: 10, seed: 3, partition: 'iid', alpha: 0.5, labelsPerClient: 2,
    clients: 0, trainLimit: 0, groups: 1, localEpochs: 1, localBatch: 32, masking: false, aggregation: 'mean',
    ...overrides,
  };
}
