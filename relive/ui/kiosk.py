"""Kiosk chrome: the page script (language buttons, 3-2-1 photo countdown, full screen, idle reset) and kiosk CSS.

The script runs once per page load (Gradio's ``js=``) and hangs its helpers on ``window.relive``:

- ``relive.setLang(code)``: switches the page's language live (Gradio's own ``changeLocale``).
- ``relive.takePhoto()``: opens the Avatar tab's webcam if needed, counts 3-2-1 in big digits, then presses the
  webcam's own capture button.
- kiosk only: the first tap asks for full screen; after ``RELIVE_IDLE_S`` seconds without a touch, key or
  pointer move (a running job counts as activity) a "Still there?" warning counts down, then the page reloads:
  a new Gradio session, every state gone, the old session's files deleted by ``demo.unload``.
"""

from __future__ import annotations

import json

from relive.ui import i18n

WARN_S = 10.0  # the "Still there?" countdown, at most half the idle time

# Big touch targets, no page chrome, the whole screen: only with RELIVE_KIOSK=1.
KIOSK_CSS = """
html, body {overscroll-behavior: none; touch-action: manipulation; -webkit-user-select: none; user-select: none;}
body {font-size: 1.1rem;}
.gradio-container {max-width: 100% !important; width: 100% !important; min-height: 100vh; margin: 0 !important;
  padding: 0.4rem 1.2rem 1.2rem !important;}
footer {display: none !important;}
#relive-title {flex-grow: 0 !important; min-width: 150px !important;}
#relive-title h1 {font-size: 2rem;}
#relive-title p {display: none;}
button.lg, button.md, button.sm, [role="tab"], .lang-button {min-height: 56px !important; font-size: 1.2rem !important;
  padding-left: 1.1rem !important; padding-right: 1.1rem !important;}
button.label-wrap {min-height: 56px !important;}
button.label-wrap, button.label-wrap span {font-size: 1.15rem !important;}
.big-action {min-height: 72px !important; font-size: 1.4rem !important;}
#avatar-take-photo {min-height: 80px !important; font-size: 1.5rem !important;}
input[type="range"] {height: 44px !important; cursor: pointer;}
input[type="range"]::-webkit-slider-runnable-track {height: 14px !important; border-radius: 7px;}
input[type="range"]::-webkit-slider-thumb {width: 38px !important; height: 38px !important;
  margin-top: -12px !important;}
input[type="range"]::-moz-range-track {height: 14px; border-radius: 7px;}
input[type="range"]::-moz-range-thumb {width: 38px; height: 38px;}
input[type="checkbox"], input[type="radio"] {width: 28px !important; height: 28px !important;
  border: 2px solid var(--neutral-400) !important;}
[data-testid="source-select"] button {width: 56px !important; height: 56px !important;}
label > span, .prose, .prose p, .prose li {font-size: 1.15rem !important;}
label.selected, .wrap label {min-height: 52px; align-items: center;}
.capture-button {min-width: 64px !important; min-height: 64px !important;}
/* Every icon button (full screen, clear, camera) big enough for a finger. */
.icon-button-wrapper button, button.icon-button, .icon-buttons button {min-width: 48px !important;
  min-height: 48px !important;}
.icon-button-wrapper button svg, button.icon-button svg {width: 26px !important; height: 26px !important;}
:root {--relive-icons: 11rem;}  /* a picture's label wraps before its (bigger) icon buttons */
/* Sliders two to a row at most, so no track or number is cut. */
.genre-slider, .placement-row > div {min-width: 230px !important;}
/* The step indicator on one line in every language: the header wraps around it instead. */
#relive-header {flex-wrap: wrap !important; row-gap: 0.4rem;}
.relive-steps {flex-wrap: nowrap !important;}
#relive-steps {min-width: max-content !important; flex: 1 0 auto !important;}
"""

# Overlays of the page script, in every mode (the countdown works in a browser too).
OVERLAY_CSS = """
#relive-overlay {position: fixed; inset: 0; z-index: 1000; display: none; place-items: center; pointer-events: none;
  font-family: inherit; text-align: center;}
#relive-overlay.on {display: grid;}
#relive-overlay .count {font-size: min(40vh, 40vw); font-weight: 900; line-height: 1; color: white;
  text-shadow: 0 0 0.08em rgba(0,0,0,0.85), 0 0 0.3em rgba(236,72,153,0.9);}
#relive-overlay .count.smile {font-size: min(16vh, 12vw);}
#relive-overlay.flash {background: rgba(255,255,255,0.85);}
#relive-overlay.warn {background: rgba(20,10,20,0.72); pointer-events: auto;}
#relive-overlay .card {background: white; color: #1c1917; border-radius: 24px; padding: 2.5rem 3rem; max-width: 80vw;
  box-shadow: 0 20px 60px rgba(0,0,0,0.4);}
#relive-overlay .card h2 {font-size: 3rem; margin: 0 0 1rem;}
#relive-overlay .card p {font-size: 1.6rem; margin: 0;}
#relive-overlay .card b {font-size: 2.4rem; color: #db2777;}
#relive-overlay .note {background: white; color: #1c1917; border-radius: 16px; padding: 1.5rem 2rem; font-size: 1.6rem;}
"""

_SCRIPT = r"""
() => {
  if (window.relive) return;
  const cfg = __CONFIG__;
  const R = window.relive = {cfg: cfg, lang: null, busy: false, poke: () => {}};
  const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
  const lang = () => {
    const code = (R.lang || document.documentElement.lang || 'en').slice(0, 2).toLowerCase();
    return cfg.texts[code] ? code : 'en';
  };
  const say = (key) => cfg.texts[lang()][key] || cfg.texts.en[key];
  async function until(test, ms) {
    const end = Date.now() + ms;
    while (Date.now() < end) { const found = test(); if (found) return found; await sleep(100); }
    return null;
  }

  // One overlay for the countdown, the flash and the idle warning.
  function overlay(mode, html) {
    let el = document.getElementById('relive-overlay');
    if (!el) {
      el = document.createElement('div');
      el.id = 'relive-overlay';
      el.setAttribute('role', 'status');
      el.setAttribute('aria-live', 'assertive');
      document.body.appendChild(el);
    }
    el.className = 'on ' + (mode || '');
    el.innerHTML = html;
    return el;
  }
  function hide() {
    const el = document.getElementById('relive-overlay');
    if (el) { el.className = ''; el.innerHTML = ''; }
  }

  // Language buttons: Gradio's own switch (the one its settings page uses), live, no reload.
  R.setLang = async (code) => {
    const core = performance.getEntriesByType('resource').map((e) => e.name)
      .find((name) => /\/assets\/core-[\w-]+\.js(\?.*)?$/.test(name));
    if (!core) { console.warn('relive: language switch not available in this Gradio build'); return false; }
    try {
      const mod = await import(core);
      if (typeof mod.changeLocale !== 'function') return false;
      await mod.changeLocale(code);
    } catch (err) { console.warn('relive: language switch failed', err); return false; }
    R.lang = code;
    document.documentElement.lang = code;
    document.querySelectorAll('.lang-button').forEach((b) => b.classList.toggle('current', b.id === 'lang-' + code));
    webcamWords();
    return true;
  };

  // Gradio writes "Click to Access Webcam" in English whatever the language (not one of its translatable texts):
  // the words are swapped for the visitor's language whenever the webcam's button appears.
  function webcamWords() {
    document.querySelectorAll('button > .wrap').forEach((wrap) => {
      const words = Array.from(wrap.childNodes).find((n) => n.nodeType === 3 && n.nodeValue.trim());
      const all = Object.values(cfg.texts).map((t) => t['webcam.access']);
      if (words && all.includes(words.nodeValue.trim())) words.nodeValue = ' ' + say('webcam.access');
    });
  }
  new MutationObserver(webcamWords).observe(document.body, {childList: true, subtree: true});

  // "Take my photo": open the webcam if needed, 3-2-1 in big digits, then press the webcam's capture button.
  R.takePhoto = async () => {
    if (R.busy) return;
    R.busy = true;
    try {
      const root = document.getElementById('avatar-photo');
      if (!root) return;
      // A photo is already there: remove it (its "Remove Image" button) to get the live camera back.
      const remove = Array.from(root.querySelectorAll('.top-panel button'))
        .find((b) => /remove|clear|elimin/i.test((b.getAttribute('aria-label') || '') + (b.title || '')));
      if (remove && !root.querySelector('.capture-button')) { remove.click(); await sleep(300); }
      const live = () => {
        const video = root.querySelector('video');
        const button = root.querySelector('.capture-button');
        return button && video && video.readyState >= 2 && !video.classList.contains('hide') ? button : null;
      };
      if (!live()) {
        const source = Array.from(root.querySelectorAll('[data-testid="source-select"] button'))
          .find((b) => /cam|càm|cám/i.test(b.getAttribute('aria-label') || ''));
        if (source && !source.classList.contains('selected')) { source.click(); await sleep(200); }
        const grant = await until(() => live() || root.querySelector('[title="grant webcam access"] button'), 3000);
        if (grant && !grant.classList.contains('capture-button')) grant.click();
      }
      const capture = await until(live, 10000);
      if (!capture) {
        overlay('', '<div class="note">' + say('countdown.no_camera') + '</div>');
        await sleep(2500);
        return;
      }
      for (const n of [3, 2, 1]) {
        overlay('', '<div class="count" data-count="' + n + '">' + n + '</div>');
        R.poke();
        await sleep(1000);
      }
      overlay('flash', '<div class="count smile">' + say('countdown.smile') + '</div>');
      capture.click();
      R.poke();
      await sleep(500);
    } finally {
      hide();
      R.busy = false;
    }
  };

  // A new try (a big action button): the errors of the last try go, so none stands beside the new result or error.
  window.addEventListener('click', (e) => {
    if (e.target.closest && e.target.closest('.big-action')) {
      document.querySelectorAll('.toast-close').forEach((b) => b.click());
    }
  }, {capture: true});

  if (!cfg.kiosk) return;

  // Full screen after the first tap (browsers allow it only right after a user gesture). On the tap's click, not
  // its pointerdown: switching mid-gesture would cancel the visitor's first slider drag.
  const fullscreen = () => {
    const page = document.documentElement;
    if (!document.fullscreenElement && page.requestFullscreen) page.requestFullscreen().catch(() => {});
  };
  window.addEventListener('click', fullscreen, {once: true, capture: true});

  // Idle reset: no touch for idleS seconds -> warning -> reload (a fresh session).
  let last = Date.now();
  let warning = false;
  R.poke = () => { last = Date.now(); if (warning) { warning = false; hide(); } };
  for (const type of ['pointerdown', 'pointermove', 'keydown', 'touchstart', 'wheel', 'input']) {
    window.addEventListener(type, () => R.poke(), {capture: true, passive: true});
  }
  const working = () => R.busy || !!document.querySelector('.progress-text, .eta-bar, .generating');
  R.reset = () => { window.location.reload(); };
  setInterval(() => {
    if (working()) { R.poke(); return; }  // a running job is not idleness: the visitor is waiting for it
    const left = cfg.idleS - (Date.now() - last) / 1000;
    if (left <= 0) { R.reset(); return; }
    if (left <= cfg.warnS) {
      const seconds = Math.ceil(left);
      const el = overlay('warn', '<div class="card"><h2>' + say('idle.title') + '</h2><p>' + say('idle.body') +
        ' <b id="relive-idle-seconds">' + seconds + '</b> s</p></div>');
      if (!warning) el.addEventListener('pointerdown', (e) => { e.preventDefault(); e.stopPropagation(); R.poke(); });
      warning = true;
    }
  }, 250);
}
"""

# After a success: the error toasts of earlier tries go (they were about a problem now solved), and the new result
# is scrolled into view where the visitor is looking (on a laptop it appears beside, above the button).
_AFTER_SUCCESS = """() => {
  document.querySelectorAll('.toast-close').forEach((b) => b.click());
  const el = document.getElementById(%s);
  if (el) {
    const box = el.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) el.scrollIntoView({block: 'center', behavior: 'smooth'});
  }
}"""


def after_success_js(elem_id: str) -> str:
    """Page script for an event's ``.success``: close old error toasts, bring ``elem_id`` into view."""
    return _AFTER_SUCCESS % json.dumps(elem_id)


TAKE_PHOTO_JS = "() => { if (window.relive) window.relive.takePhoto(); }"


def set_language_js(code: str) -> str:
    return f"() => {{ if (window.relive) window.relive.setLang({json.dumps(code)}); }}"


def page_js(kiosk: bool, idle_s: float) -> str:
    """The page script, configured: kiosk features only when ``kiosk``; the warning takes the idle time's end."""
    config = {"kiosk": bool(kiosk), "idleS": float(idle_s), "warnS": min(WARN_S, float(idle_s) / 2),
              "texts": json.loads(i18n.script_texts())}
    return _SCRIPT.replace("__CONFIG__", json.dumps(config, ensure_ascii=False))
