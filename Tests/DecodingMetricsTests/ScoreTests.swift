import LinearAlgebra
import Testing

@testable import DecodingMetrics

@Suite("Fréchet distance, CLAP score and genre agreement")
struct ScoreTests {
  @Test(
    "Fréchet distance matches the literal definition in 50-digit arithmetic (mpmath)",
    arguments: MetricsFixtures.shared.frechet)
  func frechet(_ fixture: MetricsFixtures.FrechetCase) throws {
    let value = try FrechetDistance.distance(Matrix(fixture.first), Matrix(fixture.second))
    // Double precision against an exact reference: relative 1e-11 (a trace of size ~50 minus a cross term of the
    // same size loses at most a few digits), absolute 1e-11 for the identical sets whose distance is 0.
    #expect(
      isClose(value, fixture.literal, rtol: 1e-11, atol: 1e-11), "\(fixture.name): \(value) vs \(fixture.literal)")
    if let sqrtm = fixture.sqrtm {
      // scipy's sqrtm of the product is fine when items outnumber dimensions: agreement to 1e-9.
      #expect(isClose(value, sqrtm, rtol: 1e-9), "\(fixture.name)")
    }
    // Symmetric in its arguments, and precomputed moments give the same number.
    let swapped = try FrechetDistance.distance(Matrix(fixture.second), Matrix(fixture.first))
    #expect(isClose(swapped, value, rtol: 1e-12, atol: 1e-12))
    let moments = try FrechetDistance.distance(
      GaussianMoments(embeddings: Matrix(fixture.first)), GaussianMoments(embeddings: Matrix(fixture.second)))
    // LAPACK's reductions may round differently with another memory alignment: 1e-12 relative (absolute for 0).
    #expect(isClose(moments, value, rtol: 1e-12, atol: 1e-12))
  }

  @Test("float32 embeddings are evaluated in double precision")
  func singlePrecisionInput() throws {
    var generator = SeededRandomNumberGenerator(seed: 6)
    let a = Matrix<Float>.randomNormal(rows: 20, columns: 12, using: &generator)
    let b = Matrix<Float>.randomNormal(rows: 9, columns: 12, using: &generator)
    let viaFloat = try FrechetDistance.distance(a, b)
    let viaDouble = try FrechetDistance.distance(a.converted(to: Double.self), b.converted(to: Double.self))
    // Same data in double precision; only LAPACK's alignment-dependent rounding may differ: 1e-12 relative.
    #expect(isClose(viaFloat, viaDouble, rtol: 1e-12))
  }

  @Test("the bootstrap's Gram-matrix resamples equal recomputing the distance from the resampled rows")
  func gramResampler() throws {
    var generator = SeededRandomNumberGenerator(seed: 17)
    // Offsets far from zero check that the pre-centring keeps the sums free of cancellation.
    let a = Matrix<Double>(rows: 25, columns: 40) { _, j in 50 + Double(j) + generator.nextGaussian() }
    let b = Matrix<Double>(rows: 25, columns: 40) { _, j in 49 + Double(j) + 2 * generator.nextGaussian() }
    let resampler = try FrechetDistance.GramResampler(first: a, second: b)
    for draw in 0..<20 {
      let indices = draw == 0 ? Array(0..<25) : (0..<25).map { _ in Int(generator.next() % 25) }
      let direct = try FrechetDistance.distance(a.rows(at: indices), b.rows(at: indices))
      // Different summation orders over the same double-precision Gram entries: 1e-9 relative.
      #expect(isClose(try resampler.distance(indices), direct, rtol: 1e-9), "draw \(draw)")
    }
    let fast = try FrechetDistance.pairedBootstrapInterval(a, b, resamples: 300, seed: 2)
    let slow = try SignificanceTests.bootstrapValues(items: 25, level: 0.95, resamples: 300, seed: 2) {
      indices throws(MetricsError) in
      try FrechetDistance.distance(a.rows(at: indices), b.rows(at: indices))
    }
    let estimate = try FrechetDistance.distance(a, b)
    // 25 items in 40 dimensions: the resamples' distances are biased upwards, so the plain percentile interval
    // misses the estimate; the bias-shifted one brackets it.
    #expect(slow[7] > estimate)
    let bias = slow.reduce(0, +) / 300 - estimate
    let shifted = SignificanceTests.percentileInterval(sorted: slow, level: 0.95, shift: bias)
    #expect(isClose(fast.lower, shifted.lower, rtol: 1e-9) && isClose(fast.upper, shifted.upper, rtol: 1e-9))
    #expect(fast.lower < estimate && estimate < fast.upper)
    // More items than dimensions: the rows are resampled directly.
    let tall = try FrechetDistance.pairedBootstrapInterval(
      a.columns(0..<10), b.columns(0..<10), resamples: 50, seed: 2)
    #expect(tall.lower <= tall.upper)
    #expect(throws: MetricsError.self) { try FrechetDistance.pairedBootstrapInterval(a, b.rows(0..<24), seed: 1) }
  }

  @Test("Fréchet distance refuses bad input")
  func frechetErrors() throws {
    let a = Matrix<Double>(rows: 5, columns: 4) { i, j in Double(i * j) }
    #expect(throws: MetricsError.tooFewItems(1)) { try FrechetDistance.distance(a.rows(0..<1), a) }
    #expect(throws: MetricsError.self) { try FrechetDistance.distance(a, a.columns(0..<3)) }
    #expect(throws: MetricsError.self) {
      try FrechetDistance.distance(Matrix<Double>(rows: 3, columns: 0), Matrix<Double>(rows: 3, columns: 0))
    }
    var bad = a
    bad[2, 2] = .infinity
    #expect(throws: MetricsError.self) { try FrechetDistance.distance(a, bad) }
  }

  @Test("CLAP score is the per-item cosine of numpy")
  func clapScore() throws {
    let fixture = MetricsFixtures.shared.clapScore
    let score = try CLAPScore.paired(
      reconstructions: Matrix(fixture.reconstructions), originals: Matrix(fixture.originals))
    for (a, b) in zip(score.perItem, fixture.perItem) { #expect(isClose(a, b, rtol: 1e-14, atol: 1e-15)) }
    #expect(isClose(score.mean, fixture.mean, rtol: 1e-14))
    let caption = try CLAPScore.caption(
      reconstructions: Matrix(fixture.reconstructions), captions: Matrix(fixture.originals))
    #expect(caption == score)
    var zero = Matrix(fixture.originals)
    for j in 0..<zero.columns { zero[4, j] = 0 }
    #expect(
      throws: MetricsError.undefined(
        operation: "CLAPScore.paired", what: "original row", index: 4, reason: "is all zeros")
    ) { try CLAPScore.paired(reconstructions: Matrix(fixture.reconstructions), originals: zero) }
    #expect(throws: MetricsError.self) {
      try CLAPScore.paired(reconstructions: Matrix(fixture.reconstructions).rows(0..<3), originals: zero)
    }
  }

  @Test("the ridge genre classifier is scikit-learn's RidgeClassifierCV", arguments: MetricsFixtures.shared.genre)
  func classifier(_ fixture: MetricsFixtures.GenreCase) throws {
    let model = try RidgeClassifier(alphas: fixture.alphas).fit(
      embeddings: Matrix(fixture.trainEmbeddings), labels: fixture.trainLabels)
    #expect(model.alpha == fixture.alpha, "\(fixture.name)")
    // Cholesky/SVD solutions in double precision against scikit-learn's: decision values to 1e-9.
    let decision = try model.decisionFunction(Matrix(fixture.originals))
    #expect(
      decision.isApproximatelyEqual(
        to: Matrix(fixture.decisionOriginals), relativeTolerance: 1e-9, absoluteTolerance: 1e-9))
    let originals = try model.predict(Matrix(fixture.originals))
    let reconstructions = try model.predict(Matrix(fixture.reconstructions))
    #expect(originals == fixture.predictedOriginals)
    #expect(reconstructions == fixture.predictedReconstructions)
    let agreement = try GenreAgreement.compare(
      originals: originals, reconstructions: reconstructions, truth: fixture.truth)
    #expect(agreement.agreement == fixture.agreement)
    #expect(agreement.reconstructionAccuracy == fixture.reconstructionAccuracy)
    #expect(agreement.originalAccuracy == fixture.originalAccuracy)
    #expect(agreement.classes == fixture.classes)
    #expect(agreement.confusion == fixture.confusion)
  }

  @Test("genre agreement: chance level and errors")
  func agreement() throws {
    let result = try GenreAgreement.compare(originals: ["a", "a", "b", "b"], reconstructions: ["a", "b", "b", "b"])
    #expect(result.agreement == 0.75)
    // p_o = (1/2, 1/2), p_r = (1/4, 3/4): chance = 1/8 + 3/8.
    #expect(result.chanceAgreement == 0.5)
    #expect(result.reconstructionAccuracy == nil)
    #expect(result.confusion == [[1, 1], [0, 2]])
    #expect(throws: MetricsError.self) { try GenreAgreement.compare(originals: ["a"], reconstructions: []) }
    #expect(throws: MetricsError.self) { try GenreAgreement.compare(originals: [], reconstructions: []) }
    #expect(throws: MetricsError.self) {
      try RidgeClassifier().fit(embeddings: Matrix<Double>(rows: 3, columns: 2), labels: ["a", "a", "a"])
    }
    #expect(throws: MetricsError.self) {
      try RidgeClassifier().fit(embeddings: Matrix<Double>(rows: 3, columns: 2), labels: ["a", "b"])
    }
  }
}

@Suite("Noise ceiling and false discovery rate")
struct InferenceTests {
  @Test("Benjamini–Hochberg matches scipy.stats.false_discovery_control")
  func benjaminiHochberg() throws {
    let fixture = MetricsFixtures.shared.benjaminiHochberg
    let result = try FalseDiscoveryRate.benjaminiHochberg(pValues: fixture.pValues, level: 0.05)
    // One multiplication and division per value, then minima: 1e-15 relative.
    for (a, b) in zip(result.adjusted, fixture.adjusted) { #expect(isClose(a, b, rtol: 1e-15)) }
    #expect(result.rejected == fixture.rejected05)
    #expect(throws: MetricsError.self) { try FalseDiscoveryRate.benjaminiHochberg(pValues: []) }
    #expect(throws: MetricsError.self) { try FalseDiscoveryRate.benjaminiHochberg(pValues: [0.1, .nan]) }
    #expect(throws: MetricsError.self) { try FalseDiscoveryRate.benjaminiHochberg(pValues: [0.1, 1.5]) }
  }

  @Test("odd/even split-half ceiling matches numpy, Spearman–Brown included")
  func oddEven() throws {
    let fixture = MetricsFixtures.shared.noiseCeiling
    let result = try NoiseCeiling.splitHalf(responses: fixture.responses.map { Matrix($0) }, scheme: .oddEven)
    // Means and one correlation per voxel in double precision: 1e-13.
    for v in 0..<result.ceiling.count {
      #expect(isClose(result.splitHalfCorrelation[v], fixture.splitHalfCorrelation[v], rtol: 1e-13))
      #expect(isClose(result.reliability[v], fixture.reliability[v], rtol: 1e-13))
      #expect(isClose(result.ceiling[v], fixture.ceiling[v], rtol: 1e-13))
    }
  }

  @Test("random splits: seeded, near 1 without noise, near 0 for pure noise, typed errors")
  func randomSplits() throws {
    var generator = SeededRandomNumberGenerator(seed: 12)
    let signal = Matrix<Double>.randomNormal(rows: 40, columns: 3, using: &generator)
    // Voxel 0: no noise; voxel 1: noise sd 1 per presentation; voxel 2: no signal at all.
    let responses = (0..<40).map { s in
      Matrix<Double>(rows: 6, columns: 3) { _, v in
        let noise = generator.nextGaussian()
        return v == 0 ? signal[s, 0] : v == 1 ? signal[s, 1] + noise : noise
      }
    }
    let a = try NoiseCeiling.splitHalf(responses: responses, scheme: .random(splits: 50, seed: 3))
    let b = try NoiseCeiling.splitHalf(responses: responses, scheme: .random(splits: 50, seed: 3))
    #expect(a == b)
    #expect(abs(a.ceiling[0] - 1) < 1e-12)
    // Half of 6 presentations: noise variance 1/3 per half-mean, expected r = 1/(1 + 1/3) = 0.75, reliability
    // of the full mean 6/7 ≈ 0.857. 40 stimuli: allow ±0.1.
    #expect(abs(a.reliability[1] - 6.0 / 7) < 0.1, "\(a.reliability[1])")
    #expect(a.ceiling[2] < 0.35, "\(a.ceiling[2])")
    var constant = responses
    constant[0] = Matrix(rows: 6, columns: 3) { _, v in v == 2 ? 0 : 1 }
    for s in 1..<40 { constant[s] = Matrix(rows: 6, columns: 3) { p, v in v == 2 ? 0 : Double(p + s) } }
    #expect(throws: MetricsError.self) { try NoiseCeiling.splitHalf(responses: constant) }
    #expect(throws: MetricsError.self) { try NoiseCeiling.splitHalf(responses: Array(responses.prefix(2))) }
    #expect(throws: MetricsError.self) {
      try NoiseCeiling.splitHalf(responses: responses.map { $0.rows(0..<1) })
    }
    #expect(throws: MetricsError.self) {
      try NoiseCeiling.splitHalf(responses: responses, scheme: .random(splits: 0, seed: 1))
    }
  }
}
