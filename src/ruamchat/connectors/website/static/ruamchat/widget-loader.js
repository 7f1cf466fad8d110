/*
 * ruamchat website widget loader.
 *
 * Embed with:  <script src="https://ruamchat.example/widget/<key>.js" async></script>
 * Optional:    data-lang="th" | "en"  (otherwise the browser's language decides)
 *
 * Adds a chat bubble (bottom-right) inside a shadow root, so the host page's CSS cannot reach it,
 * and on click opens the chat in an iframe served by ruamchat. The only global is window.RuamChat
 * with open(), close() and toggle().
 */
(function () {
  "use strict";

  // Filled in by the server when it serves /widget/<key>.js; null when the file is served as is.
  var CONFIG = /*RUAMCHAT_CONFIG*/ null;

  if (window.RuamChat && window.RuamChat.__loaded) return;

  var script = document.currentScript;
  if (!script) {
    var candidates = document.querySelectorAll('script[src*="/widget/"]');
    script = candidates[candidates.length - 1] || null;
  }
  if (!script || !script.src) return;

  var src = new URL(script.src, document.baseURI);
  var origin = src.origin;
  var keyMatch = /\/widget\/([A-Za-z0-9_-]+)\.js$/.exec(src.pathname);
  var key = (CONFIG && CONFIG.key) || (keyMatch && keyMatch[1]);
  if (!key) return;

  function pickLanguage() {
    var wanted = (script.getAttribute("data-lang") || "").toLowerCase();
    if (wanted === "th" || wanted === "en") return wanted;
    var nav = (navigator.languages && navigator.languages[0]) || navigator.language || "th";
    return nav.toLowerCase().indexOf("th") === 0 ? "th" : "en";
  }

  var lang = pickLanguage();
  var fallbackLabels = {
    th: { open: "แชทกับเรา", close: "ปิดแชท", frame: "แชท", unread: "ข้อความใหม่" },
    en: { open: "Chat with us", close: "Close chat", frame: "Chat", unread: "New message" }
  };
  var labels = (CONFIG && CONFIG.labels && CONFIG.labels[lang]) || fallbackLabels[lang];
  var accent = (CONFIG && /^#[0-9a-fA-F]{6}$/.test(CONFIG.accent || "") && CONFIG.accent) || "#0b7a66";

  var CSS = [
    ":host { all: initial; }",
    "*, *::before, *::after { box-sizing: border-box; }",
    ".rc-bubble { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000;",
    "  width: 60px; height: 60px; margin: 0; padding: 0; border: 0; border-radius: 50%;",
    "  background: var(--rc-accent); color: #fff; cursor: pointer; display: grid; place-items: center;",
    "  box-shadow: 0 6px 20px rgba(15, 23, 42, .28), 0 2px 6px rgba(15, 23, 42, .18);",
    "  transition: transform .18s ease, box-shadow .18s ease; -webkit-tap-highlight-color: transparent; }",
    ".rc-bubble:hover { transform: translateY(-2px) scale(1.04); }",
    ".rc-bubble:focus { outline: none; }",
    ".rc-bubble:focus-visible { outline: 3px solid #fff; box-shadow: 0 0 0 6px var(--rc-accent),",
    "  0 6px 20px rgba(15, 23, 42, .28); }",
    ".rc-bubble svg { width: 28px; height: 28px; display: block; fill: none; stroke: currentColor;",
    "  stroke-width: 2; stroke-linecap: round; stroke-linejoin: round; transition: transform .2s ease,",
    "  opacity .2s ease; }",
    ".rc-bubble .rc-icon-close { position: absolute; opacity: 0; transform: rotate(-45deg); }",
    ".rc-bubble[aria-expanded=true] .rc-icon-chat { opacity: 0; transform: rotate(45deg); }",
    ".rc-bubble[aria-expanded=true] .rc-icon-close { opacity: 1; transform: none; }",
    ".rc-badge { position: absolute; top: -2px; right: -2px; min-width: 20px; height: 20px; padding: 0 6px;",
    "  border-radius: 10px; background: #e11d48; color: #fff; border: 2px solid #fff;",
    "  font: 700 11px/16px system-ui, -apple-system, 'Segoe UI', sans-serif; text-align: center; }",
    ".rc-badge[hidden] { display: none; }",
    ".rc-panel { position: fixed; right: 20px; bottom: 92px; z-index: 2147483000;",
    "  width: 380px; height: min(640px, calc(100vh - 116px)); max-height: calc(100vh - 116px);",
    "  border-radius: 16px; overflow: hidden; background: #fff;",
    "  box-shadow: 0 18px 50px rgba(15, 23, 42, .28), 0 4px 12px rgba(15, 23, 42, .12);",
    "  opacity: 0; transform: translateY(12px) scale(.98); transform-origin: bottom right;",
    "  pointer-events: none; visibility: hidden;",
    "  transition: opacity .18s ease, transform .18s ease, visibility 0s linear .18s; }",
    ".rc-panel.rc-open { opacity: 1; transform: none; pointer-events: auto; visibility: visible;",
    "  transition: opacity .18s ease, transform .18s ease, visibility 0s; }",
    ".rc-panel iframe { display: block; width: 100%; height: 100%; border: 0; margin: 0; padding: 0;",
    "  background: #fff; color-scheme: light; }",
    "@media (max-width: 480px) {",
    "  .rc-panel { right: 0; bottom: 0; width: 100vw; height: 100%; max-height: none; border-radius: 0; }",
    "  .rc-bubble[aria-expanded=true] { display: none; }",
    "}",
    "@media (prefers-reduced-motion: reduce) { .rc-bubble, .rc-panel, .rc-bubble svg { transition: none; } }"
  ].join("\n");

  var SVG_NS = "http://www.w3.org/2000/svg";

  function icon(className, paths) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", className);
    paths.forEach(function (d) {
      var path = document.createElementNS(SVG_NS, "path");
      path.setAttribute("d", d);
      svg.appendChild(path);
    });
    return svg;
  }

  var host = document.createElement("ruamchat-widget");
  // Set through the CSSOM (not a style attribute) so a strict host CSP allows it; !important beats
  // whatever the page says about unknown elements.
  ["all: initial", "position: fixed", "z-index: 2147483000", "right: 0", "bottom: 0", "width: 0",
    "height: 0", "display: block"].forEach(function (rule) {
    var parts = rule.split(": ");
    host.style.setProperty(parts[0], parts[1], "important");
  });
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;

  if (root !== host && "adoptedStyleSheets" in root && typeof CSSStyleSheet === "function") {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    var style = document.createElement("style");
    style.textContent = CSS;
    root.appendChild(style);
  }

  var wrapper = document.createElement("div");
  wrapper.style.setProperty("--rc-accent", accent);
  root.appendChild(wrapper);

  var panelId = "ruamchat-panel-" + key;
  var button = document.createElement("button");
  button.type = "button";
  button.className = "rc-bubble";
  button.setAttribute("aria-label", labels.open);
  button.setAttribute("title", labels.open);
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", panelId);
  button.appendChild(icon("rc-icon-chat", [
    "M21 11.5a8.4 8.4 0 0 1-9 8.4 9.5 9.5 0 0 1-3.6-.7L3 21l1.8-4.6A8 8 0 0 1 3 11.5 8.6 8.6 0 0 1 12 3a8.6 8.6 0 0 1 9 8.5z",
    "M8 11.5h.01M12 11.5h.01M16 11.5h.01"
  ]));
  button.appendChild(icon("rc-icon-close", ["M18 6 6 18", "M6 6l12 12"]));
  var badge = document.createElement("span");
  badge.className = "rc-badge";
  badge.hidden = true;
  button.appendChild(badge);

  var panel = document.createElement("div");
  panel.className = "rc-panel";
  panel.id = panelId;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", labels.frame);

  wrapper.appendChild(panel);
  wrapper.appendChild(button);

  var iframe = null;
  var isOpen = false;
  var unread = 0;

  function frameUrl() {
    var url = new URL("/widget/" + encodeURIComponent(key) + "/frame", origin);
    url.searchParams.set("lang", lang);
    url.searchParams.set("page", String(location.href).slice(0, 500));
    return url.toString();
  }

  function tellFrame(message) {
    if (iframe && iframe.contentWindow) iframe.contentWindow.postMessage(message, origin);
  }

  function ensureFrame() {
    if (iframe) return;
    iframe = document.createElement("iframe");
    iframe.src = frameUrl();
    iframe.title = labels.frame;
    iframe.setAttribute("allow", "clipboard-write");
    iframe.addEventListener("load", function () {
      tellFrame({ ruamchat: "visibility", open: isOpen });
    });
    panel.appendChild(iframe);
  }

  function setUnread(count) {
    unread = count;
    badge.hidden = unread === 0;
    badge.textContent = unread > 9 ? "9+" : String(unread);
    button.setAttribute("aria-label", unread ? labels.open + " (" + labels.unread + ")" : labels.open);
  }

  function open() {
    ensureFrame();
    isOpen = true;
    panel.classList.add("rc-open");
    button.setAttribute("aria-expanded", "true");
    setUnread(0);
    button.setAttribute("aria-label", labels.close);
    button.setAttribute("title", labels.close);
    tellFrame({ ruamchat: "visibility", open: true });
    if (iframe) iframe.focus();
  }

  function close() {
    if (!isOpen) return;
    isOpen = false;
    panel.classList.remove("rc-open");
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-label", labels.open);
    button.setAttribute("title", labels.open);
    tellFrame({ ruamchat: "visibility", open: false });
    button.focus();
  }

  function toggle() {
    if (isOpen) close(); else open();
  }

  button.addEventListener("click", toggle);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && isOpen) close();
  });

  window.addEventListener("message", function (event) {
    if (event.origin !== origin || !iframe || event.source !== iframe.contentWindow) return;
    var data = event.data;
    if (!data || typeof data !== "object") return;
    if (data.ruamchat === "close") close();
    else if (data.ruamchat === "unread" && !isOpen) setUnread(Math.max(0, Math.min(99, Number(data.count) || 0)));
  });

  function mount() {
    // The iframe (and its websocket) is only created on the first open: a page view costs the
    // server nothing until the visitor wants to chat. Once opened it stays connected while hidden,
    // so replies that arrive then show as a badge on the bubble.
    if (!host.isConnected) document.body.appendChild(host);
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);

  window.RuamChat = { open: open, close: close, toggle: toggle, __loaded: true };
})();
