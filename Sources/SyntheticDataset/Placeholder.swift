/// Placeholder.
public enum SyntheticDatasetPlaceholder {}
