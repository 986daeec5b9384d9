import Foundation
import Hummingbird

/// The server-rendered pages: plain HTML forms and `<audio>` players, no script, so they work in any browser.
enum HTMLPages {
  /// Escapes `&`, `<`, `>`, `"` and `'` for use in text and attribute values.
  ///
  /// It works on Unicode scalars, not on `Character`s: a quote followed by a combining mark is one grapheme cluster
  /// (so it is not equal to `"` as a `Character`), but an HTML parser still sees the quote and ends the attribute.
  static func escape(_ text: String) -> String {
    var result = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
      switch scalar {
      case "&": result.append(contentsOf: "&amp;".unicodeScalars)
      case "<": result.append(contentsOf: "&lt;".unicodeScalars)
      case ">": result.append(contentsOf: "&gt;".unicodeScalars)
      case "\"": result.append(contentsOf: "&quot;".unicodeScalars)
      case "'": result.append(contentsOf: "&#39;".unicodeScalars)
      default: result.append(scalar)
      }
    }
    return String(result)
  }

  /// `METHOD "path"` of a request, the path shortened to 64 characters and without the query (which may hold the
  /// admin token), for error pages and the log.
  static func requestLine(_ request: Request) -> String {
    "\(request.method.rawValue) \(ListeningTestError.quoted(request.uri.path))"
  }

  /// A complete page around `body` (already escaped HTML).
  static func page(title: String, body: String) -> String {
    """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>\(escape(title))</title>
    <link rel="stylesheet" href="/style.css">
    </head>
    <body>
    <main>
    \(body)
    </main>
    </body>
    </html>

    """
  }

  /// The style sheet served at `/style.css`.
  static let styleSheet = """
    body { font-family: system-ui, sans-serif; margin: 0; background: #f6f6f4; color: #1b1b1b; }
    main { max-width: 42rem; margin: 2rem auto; padding: 1.5rem; background: #fff; border-radius: 8px; }
    h1 { font-size: 1.5rem; }
    section.player { margin: 1rem 0; padding: 0.75rem; border: 1px solid #ddd; border-radius: 6px; }
    section.player h2 { font-size: 1.1rem; margin: 0 0 0.5rem 0; }
    audio { width: 100%; }
    fieldset { border: 1px solid #ccc; border-radius: 6px; margin: 1rem 0; }
    label.choice { display: inline-block; margin-right: 2rem; font-size: 1.2rem; }
    button { font-size: 1.1rem; padding: 0.5rem 1.5rem; }
    progress { width: 100%; }
    table { border-collapse: collapse; margin: 1rem 0; }
    th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }
    th:first-child, td:first-child { text-align: left; }
    .error { color: #a00000; }

    """

  /// The consent and instructions page with the form that creates a participant; `enrolmentKey` is a fresh one-time
  /// key that makes a double-clicked "Start" create one participant.
  static func consent(experiment: Experiment, enrolmentKey: String) -> String {
    page(
      title: "Listening test",
      body: """
        <h1>Listening test: \(escape(experiment.name))</h1>
        <p>Thank you for taking part. In each of the \(experiment.trialCount) trials you hear a
        <strong>reference</strong> clip and two candidates, <strong>A</strong> and <strong>B</strong>.
        Choose the candidate that sounds <strong>more similar to the reference</strong>. There are no right
        or wrong strategies: listen as often as you like, then trust your impression.</p>
        <p>The test takes about \(max(1, experiment.trialCount / 2)) minutes. Please use headphones in a quiet place.</p>
        <h2>Consent</h2>
        <p>We store only your answers, the time you took for each trial, and a random code that identifies your
        session; no name, e-mail or other personal data. Your answers are used for research on music
        reconstruction from brain activity. You may stop at any time; you can come back later with your
        personal link to continue where you stopped.</p>
        <form method="post" action="/start">
        <input type="hidden" name="enrolment" value="\(escape(enrolmentKey))">
        <label><input type="checkbox" name="consent" value="yes" id="consent" required>
        I have read the information above and agree to take part.</label>
        <p><button type="submit" id="start">Start the test</button></p>
        </form>
        """)
  }

  /// A trial page: progress, three players and the A/B choice.
  static func trial(token: String, page trialPage: TrialPage) -> String {
    let base = "/p/\(token)"
    let position = trialPage.position
    let total = trialPage.trialCount
    return page(
      title: "Trial \(position) of \(total)",
      body: """
        <h1 id="progress">Trial \(position) of \(total)</h1>
        <progress value="\(position - 1)" max="\(total)"></progress>
        <p>Listen to the reference, then to A and B. Which of A and B is more similar to the reference?</p>
        <section class="player"><h2>Reference</h2>
        <audio controls preload="auto" id="audio-reference" src="\(base)/audio/\(position)/reference"></audio></section>
        <section class="player"><h2>A</h2>
        <audio controls preload="auto" id="audio-a" src="\(base)/audio/\(position)/a"></audio></section>
        <section class="player"><h2>B</h2>
        <audio controls preload="auto" id="audio-b" src="\(base)/audio/\(position)/b"></audio></section>
        <form method="post" action="\(base)/trial/\(position)">
        <fieldset><legend>Which candidate is more similar to the reference?</legend>
        <label class="choice"><input type="radio" name="choice" value="A" id="choice-a" required> A</label>
        <label class="choice"><input type="radio" name="choice" value="B" id="choice-b" required> B</label>
        </fieldset>
        <button type="submit" id="submit">Submit and continue</button>
        </form>
        <p><small>Your personal link to continue later: <a href="\(base)">\(base)</a></small></p>
        """)
  }

  /// The thank-you page.
  static func thankYou(trialCount: Int) -> String {
    page(
      title: "Thank you",
      body: """
        <h1 id="thanks">Thank you!</h1>
        <p>You have completed all \(trialCount) trials. Your answers are saved; you can close this window.</p>
        """)
  }

  /// An error page for a request that cannot be served; `request` is its ``requestLine(_:)``.
  static func error(status: Int, message: String, request: String) -> String {
    page(
      title: "Error \(status)",
      body: """
        <h1 class="error">Sorry, this request cannot be served (\(status))</h1>
        <p id="error-message">\(escape(message))</p>
        <p id="error-request"><small>Request: \(escape(request))</small></p>
        <p><a href="/">Back to the start page</a></p>
        """)
  }

  /// The experimenter's results page.
  static func results(_ results: ExperimentResults, token: String) -> String {
    let overall = results.overall
    var participantRows = ""
    for participant in results.participants {
      participantRows += row([
        "#\(participant.participant)", participant.completed ? "yes" : "no", "\(participant.test.trials)",
        "\(participant.test.successes)", ExperimentResults.percent(participant.test.proportion),
        ExperimentResults.pValue(participant.test.greaterPValue),
      ])
    }
    var genreRows = ""
    for genre in results.genres {
      genreRows += row([
        genre.genre, "\(genre.test.trials)", "\(genre.test.successes)",
        ExperimentResults.percent(genre.test.proportion),
        ExperimentResults.pValue(genre.test.greaterPValue),
      ])
    }
    let query = "token=\(escape(token))"
    return page(
      title: "Results: \(results.name)",
      body: """
        <h1>Results: \(escape(results.name))</h1>
        <p>Experiment \(results.experimentID), seed \(results.seed), \(results.trialCount) trials per participant,
        \(escape(results.designText)).</p>
        <h2>Overall</h2>
        <p id="overall">\(overall.successes) of \(overall.trials) answers correct
        (<strong>\(ExperimentResults.percent(overall.proportion))</strong>). Exact binomial test against 50 %:
        one-sided p = \(ExperimentResults.pValue(overall.greaterPValue)) (H1: above chance),
        two-sided p = \(ExperimentResults.pValue(overall.twoSidedPValue)).
        Mean response time \(String(format: "%.2f", results.meanResponseTimeSeconds)) s.</p>
        <p id="raters">Raters: \(escape(results.raterBootstrapText)).</p>
        <h2>Participants</h2>
        <table id="participants"><tr><th>Participant</th><th>Completed</th><th>Answered</th><th>Correct</th>
        <th>Accuracy</th><th>One-sided p</th></tr>
        \(participantRows)</table>
        <h2>Genres</h2>
        <table id="genres"><tr><th>Genre</th><th>Answered</th><th>Correct</th><th>Accuracy</th><th>One-sided p</th></tr>
        \(genreRows)</table>
        <p>Export: <a href="/admin/results.csv?\(query)">CSV (one row per answer)</a> ·
        <a href="/admin/results.json?\(query)">JSON (summary and answers)</a></p>
        """)
  }

  private static func row(_ cells: [String]) -> String {
    "<tr>" + cells.map { "<td>\(escape($0))</td>" }.joined() + "</tr>\n"
  }
}
