// The pipeline module re-exports the data module, so `import Resonance` gives a lab the experiment's types
// (datasets, stimuli, pairs, feature spaces) with the pipeline's.
@_exported import TaskFMRI
