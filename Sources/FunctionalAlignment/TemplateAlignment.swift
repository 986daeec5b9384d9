public import LinearAlgebra

/// One subject's paired samples, rows in the shared stimulus order.
public struct SubjectSamples: Sendable {
  /// Training samples, `n_train × P_subject`.
  public var train: Matrix<Float>
  /// Test samples, `n_test × P_subject`.
  public var test: Matrix<Float>

  /// Creates a subject's samples.
  public init(train: Matrix<Float>, test: Matrix<Float>) {
    self.train = train
    self.test = test
  }
}

/// All subjects mapped into the template's voxel space and stacked subject-major.
public struct TemplateSpaceSamples: Sendable {
  /// Stacked aligned training samples (`S · n_train × P_template`).
  public var train: Matrix<Float>
  /// Stacked aligned test samples (`S · n_test × P_template`).
  public var test: Matrix<Float>
  /// Rows of ``train`` that belong to each subject.
  public var trainRows: [Range<Int>]
  /// Rows of ``test`` that belong to each subject.
  public var testRows: [Range<Int>]
  /// The fitted map of each subject.
  public var maps: [AlignmentMap]
}

/// The paper's step 7: align every subject (the template too) to the template subject, moment-match each
/// aligned split to the template's training statistics, and stack the subjects.
public struct TemplateAlignment: Sendable {
  /// The alignment method.
  public enum Method: Sendable {
    /// Ridge alignment (the paper's).
    case ridge(RidgeAlignment)
    /// Orthogonal / scaled Procrustes (requires equal voxel counts).
    case procrustes(ProcrustesAlignment)
  }

  /// The alignment method. Default: ridge with the authors' leave-one-out shared alpha.
  public var method: Method
  /// Index of the template subject (sub-001 is 0). Default 0.
  public var templateIndex: Int
  /// Whether to moment-match aligned data to the template's training mean/std. Default `true`.
  public var matchesMoments: Bool
  /// Whether test data are z-scored with their own statistics (the authors' transductive behaviour,
  /// default) or with the subject's aligned training statistics.
  public var usesTestStatistics: Bool

  /// Creates the step; defaults reproduce the authors' code.
  public init(
    method: Method = .ridge(RidgeAlignment()), templateIndex: Int = 0, matchesMoments: Bool = true,
    usesTestStatistics: Bool = true
  ) {
    self.method = method
    self.templateIndex = templateIndex
    self.matchesMoments = matchesMoments
    self.usesTestStatistics = usesTestStatistics
  }

  /// Aligns and stacks all subjects.
  ///
  /// - Throws: ``AlignmentError/invalidSubjects(_:)`` for an empty list or a bad template index, and any
  ///   error of the alignment method.
  public func align(subjects: [SubjectSamples]) throws(AlignmentError) -> TemplateSpaceSamples {
    guard !subjects.isEmpty else { throw .invalidSubjects("no subjects were given") }
    guard subjects.indices.contains(templateIndex) else {
      throw .invalidSubjects("template index \(templateIndex) is outside 0..<\(subjects.count)")
    }
    let template = subjects[templateIndex].train
    let matching = try MomentMatching(template: template)
    var trains: [Matrix<Float>] = []
    var tests: [Matrix<Float>] = []
    var maps: [AlignmentMap] = []
    for subject in subjects {
      let map: AlignmentMap
      switch method {
      case .ridge(let ridge): map = try ridge.fit(source: subject.train, template: template)
      case .procrustes(let procrustes): map = try procrustes.fit(source: subject.train, template: template)
      }
      var train = try map.transform(subject.train)
      var test = try map.transform(subject.test)
      if matchesMoments {
        let alignedTrain = train
        train = try matching.apply(to: train)
        test =
          try usesTestStatistics ? matching.apply(to: test) : matching.apply(to: test, statisticsFrom: alignedTrain)
      }
      trains.append(train)
      tests.append(test)
      maps.append(map)
    }
    var trainRows: [Range<Int>] = []
    var testRows: [Range<Int>] = []
    var trainStart = 0
    var testStart = 0
    for (train, test) in zip(trains, tests) {
      trainRows.append(trainStart..<(trainStart + train.rows))
      testRows.append(testStart..<(testStart + test.rows))
      trainStart += train.rows
      testStart += test.rows
    }
    do {
      return TemplateSpaceSamples(
        train: try Matrix.verticallyStacked(trains), test: try Matrix.verticallyStacked(tests), trainRows: trainRows,
        testRows: testRows, maps: maps)
    } catch {
      throw .linearAlgebra(error)
    }
  }
}
