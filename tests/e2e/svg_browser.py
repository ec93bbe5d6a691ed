"""The flame graph in a real browser (imported by profile_tests.py).

A copy of the SVG pyspy-sh wrote gets one extra <script> that runs after the
page's own init: it finds the hot function's frame by hit-testing the centre
of its rectangle (document.elementFromPoint, so the text over it must not
swallow clicks), clicks it, and records what a person would see — the frame
now spans the full width, frames outside it are hidden, Reset Zoom is lit;
then Reset Zoom; then the Search control with prompt() answering the hot
function's name (matches painted, "Matched: P%" equal to the frame's share);
then a hover (the status line shows the frame's tooltip).  The record is
written into the document as JSON and read back from headless Chromium's
--dump-dom.  Needs Debian's chromium package (tests/install-deps.sh).
"""
import json
import os
import re
import shutil
import subprocess

import harness

PROBE = r"""
<script type="text/javascript"><![CDATA[
window.addEventListener('load', function () {
  var out = {}, HOT = %(hot)s;
  function rect(g) { return g.querySelector('rect'); }
  function width(g) { return +rect(g).getAttribute('width'); }
  function shown(g) { return g.style.display !== 'none'; }
  function lbl(g) { return g.querySelector('title').textContent; }
  try {
    var all = Array.prototype.slice.call(document.querySelectorAll('g.f'));
    var root = document.getElementById('frames');
    out.full = +root.getAttribute('data-width') - 2 * +root.getAttribute('data-pad');
    out.total = +root.getAttribute('data-total');
    var hots = all.filter(function (g) { return lbl(g).indexOf(HOT + ' (') === 0; });
    var hot = hots[0];
    out.hot_share = 100 * hots.reduce(function (s, g) { return s + +g.getAttribute('data-w'); }, 0) / out.total;
    var other = all.filter(function (g) {
      if (lbl(g).indexOf(HOT + ' (') === 0) return false;
      var x = +g.getAttribute('data-x'), w = +g.getAttribute('data-w');
      var hx = +hot.getAttribute('data-x'), hw = +hot.getAttribute('data-w');
      return +g.getAttribute('data-d') > 0 && (x + w <= hx || x >= hx + hw);
    })[0];
    out.share = 100 * +hot.getAttribute('data-w') / out.total;
    out.before = width(hot);
    out.other_before = other ? shown(other) : null;
    var b = rect(hot).getBoundingClientRect();
    var hit = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
    out.hit = hit && hit.closest ? (hit.closest('g.f') === hot) : false;
    (hit || rect(hot)).dispatchEvent(new MouseEvent('click', {bubbles: true}));
    out.zoomed = width(hot);
    out.other_zoomed = other ? shown(other) : null;
    out.reset_lit = document.getElementById('unzoom').style.opacity;
    document.getElementById('unzoom').dispatchEvent(new MouseEvent('click', {bubbles: true}));
    out.reset = width(hot);
    window.prompt = function () { return HOT; };
    document.getElementById('search').dispatchEvent(new MouseEvent('click', {bubbles: true}));
    out.hot_fill = rect(hot).getAttribute('fill');
    out.other_fill = other ? rect(other).getAttribute('fill') : null;
    out.matched = document.getElementById('matched').textContent;
    hot.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
    out.details = document.getElementById('details').textContent;
    out.title = lbl(hot);
  } catch (e) { out.error = String(e); }
  var t = document.createElementNS('http://www.w3.org/2000/svg', 'text');
  t.setAttribute('id', 'probe-result');
  t.textContent = JSON.stringify(out);
  document.documentElement.appendChild(t);
});
]]></script>
"""

RESULT = re.compile(r'<text id="probe-result">(.*?)</text>', re.S)


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise harness.Skip("no chromium to open the flame graph in (Debian: apt install chromium)")


def probe(svg_path, hot, tmpdir):
    """Run the probe on a copy of svg_path; returns its record (a dict)."""
    browser = find_chromium()
    with open(svg_path, encoding="utf-8") as f:
        svg = f.read()
    end = svg.rindex("</svg>")
    copy = os.path.join(tmpdir, "probe.svg")
    with open(copy, "w", encoding="utf-8") as f:
        f.write(svg[:end] + PROBE % {"hot": json.dumps(hot)} + svg[end:])
    argv = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--user-data-dir=" + os.path.join(tmpdir, "chromium"), "--window-size=1300,900",
            "--dump-dom", "file://" + copy]
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=harness.RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise harness.Fail("chromium did not finish within %ds" % harness.RUN_TIMEOUT)
    dom = proc.stdout.decode("utf-8", "replace")
    m = RESULT.search(dom)
    if not m:
        raise harness.Fail("chromium (exit %d) produced no probe result; stderr %r"
                           % (proc.returncode, proc.stderr.decode("utf-8", "replace")[-400:]))
    text = m.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return json.loads(text)


def check(svg_path, hot, tmpdir):
    """Fail unless zoom, reset, search and the tooltip behave in the browser."""
    r = probe(svg_path, hot, tmpdir)
    if r.get("error"):
        raise harness.Fail("the probe script failed in the browser: %s" % r["error"])
    full = r["full"]
    if not r["hit"]:
        raise harness.Fail("a click at the centre of %s's frame does not land on that frame" % hot)
    if not r["before"] < 0.9 * full or r["other_before"] is not True:
        raise harness.Fail("before zooming %s is %.1f of %.1f wide, another frame shown=%s: the graph needs a "
                           "second stack to test zoom" % (hot, r["before"], full, r["other_before"]))
    if abs(r["zoomed"] - full) > 1.0 or r["other_zoomed"] is not False or r["reset_lit"] != "1":
        raise harness.Fail("after a click %s is %.1f wide (full %.1f), a frame outside it shown=%s, Reset Zoom "
                           "opacity %r" % (hot, r["zoomed"], full, r["other_zoomed"], r["reset_lit"]))
    if abs(r["reset"] - r["before"]) > 0.5:
        raise harness.Fail("Reset Zoom left %s %.1f wide, it was %.1f" % (hot, r["reset"], r["before"]))
    if r["hot_fill"] != "rgb(220,0,220)" or r["other_fill"] == "rgb(220,0,220)":
        raise harness.Fail("search for %s painted it %r and a non-matching frame %r"
                           % (hot, r["hot_fill"], r["other_fill"]))
    want = "Matched: %.1f%%" % r["hot_share"]
    if r["matched"] != want:
        raise harness.Fail("search shows %r, %s's frames cover %.2f%% of the samples" % (r["matched"], hot, r["hot_share"]))
    if r["details"] != r["title"] or "samples" not in r["details"]:
        raise harness.Fail("hovering shows %r, the frame's tooltip is %r" % (r["details"], r["title"]))


# ---- the heatmap page (imported by formats_tests.py) ----

ERRORS = "<script>window.__errs = []; window.addEventListener('error', function (e) { __errs.push(String(e.message)); });</script>"

HEAT_PROBE = r"""
<script>
window.addEventListener('load', function () {
  var out = {errors: window.__errs, scripts: document.scripts.length - 2};
  try {
    var TRUTH = %(truth)s;
    function section(file) {
      var s = Array.prototype.slice.call(document.querySelectorAll('section'));
      return s.filter(function (x) { return x.querySelector('h2').textContent.indexOf(file + ' ') === 0; })[0];
    }
    function row(sec, line) { return document.getElementById(sec.id + '-l' + line); }
    function cells(r) { return r ? {own: +r.querySelector('td.own').textContent, total: +r.querySelector('td.tot').textContent,
                                     code: r.querySelector('td.code').textContent,
                                     missing: r.querySelector('td.code').className.indexOf('missing') >= 0} : null; }
    var sec = section(TRUTH.file), gone = section(TRUTH.gone_file);
    out.rank = sec ? sec.id : null;
    out.gone_rank = gone ? gone.id : null;
    out.hot = cells(row(sec, TRUTH.hot_line));
    out.hot_prev = cells(row(sec, TRUTH.hot_line - 1));
    var first = sec.querySelector('p.hot a');
    out.first_hot = first.getAttribute('href');
    first.click();
    var target = document.querySelector(first.getAttribute('href'));
    var b = target.getBoundingClientRect();
    out.hot_visible = b.height > 0 && b.top >= 0 && b.bottom <= window.innerHeight && getComputedStyle(target).display !== 'none';
    out.hot_bg = getComputedStyle(target).backgroundColor;
    out.hot_func = Array.prototype.slice.call(sec.querySelectorAll('p.funcs a')).filter(function (a) {
      return a.textContent === 'hot'; }).map(function (a) { return a.getAttribute('href'); });
    out.gone = cells(row(gone, TRUTH.gone_line));
    out.gone_header = gone.querySelector('th:last-child').textContent;
    var share = function (s) { return +s.querySelector('h2 span').textContent.match(/([\d.]+)%%/)[1]; };
    out.file_share = share(sec);
    out.gone_share = share(gone);
  } catch (e) { out.error = String(e); }
  var pre = document.createElement('pre');
  pre.id = 'probe-result';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""

HEAT_RESULT = re.compile(r'<pre id="probe-result">(.*?)</pre>', re.S)


def heat_probe(html_path, truth, tmpdir):
    """Open a copy of the heatmap (an error listener first, the probe last) in headless Chromium."""
    browser = find_chromium()
    with open(html_path, encoding="utf-8") as f:
        page = f.read()
    head, end = page.index("<head>") + len("<head>"), page.rindex("</body>")
    copy = os.path.join(tmpdir, "probe.html")
    with open(copy, "w", encoding="utf-8") as f:
        f.write(page[:head] + ERRORS + page[head:end] + HEAT_PROBE % {"truth": json.dumps(truth)} + page[end:])
    argv = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--user-data-dir=" + os.path.join(tmpdir, "chromium"), "--window-size=1300,900",
            "--dump-dom", "file://" + copy]
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=harness.RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise harness.Fail("chromium did not finish within %ds" % harness.RUN_TIMEOUT)
    m = HEAT_RESULT.search(proc.stdout.decode("utf-8", "replace"))
    if not m:
        raise harness.Fail("chromium (exit %d) produced no probe result; stderr %r"
                           % (proc.returncode, proc.stderr.decode("utf-8", "replace")[-400:]))
    text = m.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return json.loads(text)
