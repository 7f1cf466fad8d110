/*
 * ruamchat website widget: the chat page inside the iframe.
 *
 * Never loses a message: every message the visitor writes gets a random client_id and is saved in an
 * outbox in localStorage before it is sent; it leaves the outbox only when the server acknowledges it
 * (or rejects it for good). Every (re)connect says hello with the highest message id the server's
 * history answers have covered (not the highest shown: a message pushed live may have overtaken one
 * that was lost while the server's channel layer restarted), renders the history it gets back
 * (deduplicated by id) and resends whatever is still in the outbox; the server stores a client_id
 * once, however often it arrives.
 *
 * All text goes into the page through textContent; links are built as elements, never as HTML.
 *
 * A bot's (or agent's) message may carry answer cards (title, text, a link, a button) and quick-reply
 * buttons. Pressing one sends an ordinary visitor message (the button's label as its text) with the
 * button's data as its "postback", through the same outbox as typed messages. A CSAT survey question
 * ("survey": {"kind": "csat"}) whose quick replies are its five scores shows them as five stars instead.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("rc-config").textContent);
  var S = config.strings;
  var PREFIX = "ruamchat:" + config.key + ":";
  var MIN_DELAY = 1000;
  var MAX_DELAY = 15000;
  var OPEN_TIMEOUT = 20000; // ms a websocket handshake may take before it is given up and retried

  var app = document.getElementById("rc-app");
  var list = document.getElementById("rc-messages");
  var scroller = document.getElementById("rc-scroll");
  var input = document.getElementById("rc-input");
  var composer = document.getElementById("rc-composer");
  var fileInput = document.getElementById("rc-file");
  var statusText = document.getElementById("rc-status-text");
  var offline = document.getElementById("rc-offline");
  var notice = document.getElementById("rc-notice");
  var counter = document.getElementById("rc-counter");
  var closeButton = document.getElementById("rc-close");
  var prechat = document.getElementById("rc-prechat");
  var prechatError = document.getElementById("rc-prechat-error");

  // ------------------------------------------------------------ storage

  var storage = (function () {
    var memory = {};
    try {
      var probe = PREFIX + "probe";
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (err) {
      // Storage blocked (strict third-party settings): keep working for this page view.
      return {
        getItem: function (k) { return Object.prototype.hasOwnProperty.call(memory, k) ? memory[k] : null; },
        setItem: function (k, v) { memory[k] = String(v); },
        removeItem: function (k) { delete memory[k]; }
      };
    }
  })();

  function randomId(bytes) {
    var data = new Uint8Array(bytes);
    window.crypto.getRandomValues(data);
    var binary = "";
    for (var i = 0; i < data.length; i++) binary += String.fromCharCode(data[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function visitorToken() {
    var token = storage.getItem(PREFIX + "visitor");
    if (!token || !/^[A-Za-z0-9_-]{32,64}$/.test(token)) {
      token = randomId(32); // 43 url-safe characters
      storage.setItem(PREFIX + "visitor", token);
    }
    return token;
  }

  var visitor = visitorToken();

  function loadOutbox() {
    try {
      var saved = JSON.parse(storage.getItem(PREFIX + "outbox") || "[]");
      return Array.isArray(saved) ? saved.filter(function (e) {
        return e && typeof e.client_id === "string" && typeof e.text === "string" &&
          (e.postback === undefined || typeof e.postback === "string");
      }) : [];
    } catch (err) {
      return [];
    }
  }

  var outbox = loadOutbox();

  function saveOutbox() {
    try {
      storage.setItem(PREFIX + "outbox", JSON.stringify(outbox));
    } catch (err) {
      /* storage full: the message stays in memory and is still resent while the page is open */
    }
  }

  function removeFromOutbox(clientId) {
    var before = outbox.length;
    outbox = outbox.filter(function (e) { return e.client_id !== clientId; });
    if (outbox.length !== before) saveOutbox();
  }

  // ---------------------------------------------------------- rendering

  var byId = new Map();
  var byClient = new Map();
  // Every message up to this id is shown: it only moves with a history answer, which lists all of them.
  var lastId = 0;
  var timeFormat = new Intl.DateTimeFormat(config.lang === "th" ? "th-TH" : "en-GB",
    { hour: "2-digit", minute: "2-digit" });

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  var URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/gi;

  function appendLinkified(parent, text) {
    var last = 0;
    text.replace(URL_PATTERN, function (match, offset) {
      var url = match.replace(/[),.;:!?]+$/, "");
      parent.appendChild(document.createTextNode(text.slice(last, offset)));
      var link = el("a", "", url);
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener noreferrer nofollow";
      parent.appendChild(link);
      last = offset + url.length;
      return match;
    });
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function formatSize(bytes) {
    if (!bytes) return "";
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return Math.round(bytes / 1024) + " KB";
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function safeUrl(url) {
    try {
      var parsed = new URL(url, location.href);
      return parsed.protocol === "https:" || parsed.protocol === "http:" || parsed.protocol === "blob:"
        ? parsed.href : "";
    } catch (err) {
      return "";
    }
  }

  function webUrl(url) {
    // Only an absolute http(s) link: "" or a relative one would resolve to this very page.
    if (!/^https?:\/\//i.test(url)) return "";
    var safe = safeUrl(url);
    return /^https?:/i.test(safe) ? safe : "";
  }

  function textOf(value) {
    return typeof value === "string" ? value : "";
  }

  function renderCards(cards) {
    var box = el("div", "rc-cards");
    cards.forEach(function (card) {
      if (!card || typeof card !== "object") return;
      var item = el("div", "rc-card");
      if (textOf(card.title)) item.appendChild(el("p", "rc-card-title", card.title));
      if (textOf(card.text)) {
        var text = el("p", "rc-card-text");
        appendLinkified(text, card.text);
        item.appendChild(text);
      }
      var url = webUrl(textOf(card.url));
      if (url) {
        var link = el("a", "rc-card-link");
        link.href = url;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        link.appendChild(el("span", "", textOf(card.link_label) || S.openLink));
        link.appendChild(el("span", "rc-visually-hidden", " " + S.newTab));
        item.appendChild(link);
      }
      var action = card.action;
      if (action && typeof action === "object" && textOf(action.label)) {
        var button = el("button", "rc-card-action", action.label);
        button.type = "button";
        button.addEventListener("click", function (event) {
          choose(action.label, textOf(action.data), event);
        });
        item.appendChild(button);
      }
      if (item.firstChild) box.appendChild(item);
    });
    return box;
  }

  function renderFiles(files) {
    var box = el("div", "rc-files");
    files.forEach(function (file) {
      var url = safeUrl(file.url || "");
      if (file.kind === "image" && url) {
        var link = el("a", "rc-image");
        link.href = url;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        var img = el("img");
        img.src = url;
        img.alt = file.filename || S.attachment;
        img.loading = "lazy";
        img.addEventListener("load", stickToBottom);
        link.appendChild(img);
        box.appendChild(link);
        return;
      }
      var item = el(url ? "a" : "div", "rc-file");
      if (url) {
        item.href = url;
        item.target = "_blank";
        item.rel = "noopener noreferrer";
      }
      var icon = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      icon.setAttribute("viewBox", "0 0 24 24");
      icon.setAttribute("aria-hidden", "true");
      var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
      path.setAttribute("d", "M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8zM14 3v5h5");
      icon.appendChild(path);
      item.appendChild(icon);
      item.appendChild(el("span", "rc-file-name", file.filename || S.attachment));
      item.appendChild(el("span", "rc-file-size", formatSize(file.size)));
      box.appendChild(item);
    });
    return box;
  }

  function buildMessage(side, data) {
    var li = el("li", "rc-msg rc-msg--" + side);
    if (side === "agent" && data.name) li.appendChild(el("div", "rc-name", data.name));
    if (data.text) {
      var text = el("div", "rc-text");
      appendLinkified(text, data.text);
      li.appendChild(text);
    }
    if (side === "agent" && Array.isArray(data.cards) && data.cards.length) li.appendChild(renderCards(data.cards));
    if (data.attachments && data.attachments.length) li.appendChild(renderFiles(data.attachments));
    if (side === "agent" && Array.isArray(data.quick_replies) && data.quick_replies.length) {
      quickRepliesOf.set(li, data.quick_replies);
      var stars = starsOf(data);
      if (stars) starRepliesOf.set(li, stars);
    }
    var meta = el("div", "rc-meta");
    var when = data.created_at ? new Date(data.created_at) : new Date();
    li.dataset.time = String(isNaN(when.getTime()) ? Date.now() : when.getTime());
    meta.appendChild(el("time", "rc-time", isNaN(when.getTime()) ? "" : timeFormat.format(when)));
    meta.appendChild(el("span", "rc-state"));
    li.appendChild(meta);
    li.dataset.sender = data.name || side;
    return li;
  }

  function setState(li, state, errorText, actions) {
    li.dataset.state = state;
    var label = li.querySelector(".rc-state");
    if (label) {
      label.className = "rc-state rc-state-" + state;
      label.textContent = state === "sending" ? S.sending : state === "sent" ? S.sent
        : state === "failed" ? S.notSent : "";
    }
    var old = li.querySelector(".rc-error");
    if (old) old.remove();
    if (state === "failed") {
      var box = el("div", "rc-error");
      box.setAttribute("role", "alert");
      box.appendChild(el("span", "rc-error-text", errorText || S.notSent));
      (actions || []).forEach(function (action) {
        var button = el("button", "rc-link-button", action.label);
        button.type = "button";
        button.addEventListener("click", action.run);
        box.appendChild(button);
      });
      li.appendChild(box);
    }
  }

  // Quick replies show under the last message while it is the bot's or an agent's; anything the
  // visitor sends (or a newer message) takes them away.
  var quickRepliesOf = new WeakMap();
  var quickRow = null;

  function renderQuickReplies(replies) {
    var row = el("div", "rc-quick");
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", S.quickReplies);
    replies.forEach(function (reply) {
      if (!reply || typeof reply !== "object" || !textOf(reply.label)) return;
      var button = el("button", "rc-quick-button", reply.label);
      button.type = "button";
      button.addEventListener("click", function (event) {
        choose(textOf(reply.text) || reply.label, textOf(reply.data), event);
      });
      row.appendChild(button);
    });
    return row;
  }

  // A CSAT question's five scores ("survey:<id>:1" … ":5") as stars, 1 to 5 from left to right: the
  // same buttons (each press goes through choose()), drawn as a rating.
  var starRepliesOf = new WeakMap();
  var STAR_DATA = /^survey:\d+:([1-5])$/;
  var STAR_PATH = "M12 2.8l2.84 5.75 6.35.93-4.6 4.48 1.09 6.32L12 17.3l-5.68 2.98 1.09-6.32-4.6-4.48 " +
    "6.35-.93z";

  function starsOf(data) {
    var survey = data.survey;
    if (!survey || typeof survey !== "object" || survey.kind !== "csat") return null;
    if (Array.isArray(survey.scale) && (survey.scale[0] !== 1 || survey.scale[1] !== 5)) return null;
    var stars = [];
    data.quick_replies.forEach(function (reply) {
      var match = reply && typeof reply === "object" && textOf(reply.label) ? STAR_DATA.exec(textOf(reply.data))
        : null;
      if (match && !stars[Number(match[1]) - 1]) stars[Number(match[1]) - 1] = reply;
    });
    for (var i = 0; i < 5; i++) if (!stars[i]) return null; // not the whole scale: plain buttons
    return stars;
  }

  function renderStars(stars, others) {
    var box = el("div", "rc-rating");
    var row = el("div", "rc-stars");
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", S.rateStars);
    var hint = el("p", "rc-stars-hint");
    hint.setAttribute("aria-hidden", "true"); // each star's meaning is its description (title) as well
    var buttons = stars.map(function (reply, i) {
      var button = el("button", "rc-star");
      button.type = "button";
      button.dataset.score = String(i + 1);
      button.setAttribute("aria-label", fill(S.starOf, { score: i + 1, max: stars.length }));
      button.title = reply.label;
      var icon = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      icon.setAttribute("viewBox", "0 0 24 24");
      icon.setAttribute("aria-hidden", "true");
      icon.setAttribute("focusable", "false");
      var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
      path.setAttribute("d", STAR_PATH);
      icon.appendChild(path);
      button.appendChild(icon);
      button.addEventListener("click", function (event) {
        choose(textOf(reply.text) || reply.label, textOf(reply.data), event);
      });
      button.addEventListener("mouseenter", function () { light(i + 1); });
      button.addEventListener("focus", function () { light(i + 1); });
      button.addEventListener("keydown", function (event) {
        // Tab moves through the stars as through any buttons; the arrow keys move along the row too.
        var to = event.key === "ArrowRight" || event.key === "ArrowUp" ? i + 1
          : event.key === "ArrowLeft" || event.key === "ArrowDown" ? i - 1
            : event.key === "Home" ? 0 : event.key === "End" ? buttons.length - 1 : null;
        if (to === null) return;
        event.preventDefault();
        buttons[Math.max(0, Math.min(buttons.length - 1, to))].focus();
      });
      row.appendChild(button);
      return button;
    });

    function light(upTo) {
      buttons.forEach(function (button, i) { button.classList.toggle("rc-star--lit", i < upTo); });
      hint.textContent = upTo ? stars[upTo - 1].label : "";
    }

    row.addEventListener("mouseleave", function () {
      if (!row.contains(document.activeElement)) light(0);
      else light(buttons.indexOf(document.activeElement) + 1);
    });
    row.addEventListener("focusout", function (event) {
      if (!row.contains(event.relatedTarget) && !row.matches(":hover")) light(0);
    });
    box.appendChild(row);
    box.appendChild(hint);
    if (others.length) {
      var rest = renderQuickReplies(others);
      if (rest.firstChild) box.appendChild(rest);
    }
    return box;
  }

  function placeQuickReplies() {
    var last = list.lastElementChild;
    var replies = last && last.classList.contains("rc-msg--agent") ? quickRepliesOf.get(last) : null;
    if (quickRow && replies && quickRow.parentNode === last) return;
    if (quickRow) quickRow.remove();
    quickRow = null;
    if (replies) {
      var stars = starRepliesOf.get(last);
      quickRow = stars ? renderStars(stars, replies.filter(function (reply) { return stars.indexOf(reply) < 0; }))
        : renderQuickReplies(replies);
      if (quickRow.firstChild) last.appendChild(quickRow); else quickRow = null;
    }
  }

  var GROUP_WITHIN = 5 * 60 * 1000;

  function groupNeighbours() {
    // A sender's name and the extra gap only where the sender changes; the time only under the last
    // of several messages written together.
    var items = Array.prototype.slice.call(list.children);
    var who = items.map(function (li) {
      return li.classList.contains("rc-msg--visitor") ? "visitor" : "agent:" + li.dataset.sender;
    });
    items.forEach(function (li, i) {
      var first = i === 0 || who[i - 1] !== who[i];
      li.classList.toggle("rc-msg--first", first);
      var name = li.querySelector(".rc-name");
      if (name) name.hidden = !first;
      var next = items[i + 1];
      li.classList.toggle("rc-msg--grouped", Boolean(next) && who[i + 1] === who[i] &&
        Math.abs(Number(next.dataset.time) - Number(li.dataset.time)) < GROUP_WITHIN);
    });
    placeQuickReplies();
  }

  function insertInOrder(li, id) {
    // Stored messages in id order; messages still on their way after all of them.
    var children = list.children;
    for (var i = 0; i < children.length; i++) {
      var other = children[i];
      var otherId = other.dataset.id ? Number(other.dataset.id) : Infinity;
      if (otherId > id) {
        list.insertBefore(li, other);
        return;
      }
    }
    list.appendChild(li);
  }

  function nearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  }

  var pinned = true;
  scroller.addEventListener("scroll", function () { pinned = nearBottom(); });

  function stickToBottom(force) {
    if (force === true || pinned) {
      scroller.scrollTop = scroller.scrollHeight;
      pinned = true;
    }
  }

  function showServerMessage(message) {
    if (!message || typeof message.id !== "number") return null;
    var existing = byId.get(message.id);
    if (existing) return existing;
    var li = message.client_id ? byClient.get(message.client_id) : null;
    if (li) {
      // Our own message, stored: take the server's version (real attachment links, server time).
      var fresh = buildMessage("visitor", message);
      fresh.dataset.clientId = message.client_id;
      li.replaceWith(fresh);
      li = fresh;
      byClient.set(message.client_id, li);
      removeFromOutbox(message.client_id);
    } else {
      li = buildMessage(message.sender === "contact" ? "visitor" : "agent", message);
      if (message.client_id) {
        li.dataset.clientId = message.client_id;
        byClient.set(message.client_id, li);
        removeFromOutbox(message.client_id);
      }
    }
    li.dataset.id = String(message.id);
    if (li.parentNode) li.remove();
    insertInOrder(li, message.id);
    setState(li, message.sender === "contact" ? "sent" : "");
    byId.set(message.id, li);
    return li;
  }

  function showPending(clientId, data) {
    var li = buildMessage("visitor", data);
    li.dataset.clientId = clientId;
    byClient.set(clientId, li);
    setState(li, "sending");
    list.appendChild(li);
    groupNeighbours();
    stickToBottom(true);
    return li;
  }

  // ------------------------------------------------------ notices, state

  var noticeTimer = null;

  function showNotice(text, kind, sticky) {
    clearTimeout(noticeTimer);
    notice.textContent = text;
    notice.classList.toggle("rc-notice--error", kind === "error");
    notice.hidden = !text;
    if (text && !sticky) noticeTimer = setTimeout(function () { notice.hidden = true; }, 8000);
  }

  var agentsOnline = null;
  var connection = "connecting";

  function renderStatus() {
    app.dataset.connection = connection;
    app.dataset.agents = agentsOnline === null ? "unknown" : agentsOnline ? "online" : "offline";
    if (connection !== "open") statusText.textContent = S.connecting;
    else statusText.textContent = agentsOnline === false ? S.offline : S.online;
    offline.hidden = !(connection === "open" && agentsOnline === false);
  }

  // ------------------------------------------------------------- socket

  var socket = null;
  var attempts = 0;
  var reconnectTimer = null;
  var everConnected = false;

  function socketUrl() {
    var scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return scheme + "//" + location.host + config.socketPath + "?visitor=" + encodeURIComponent(visitor) +
      "&lang=" + encodeURIComponent(config.lang);
  }

  function isOpen() {
    return socket !== null && socket.readyState === WebSocket.OPEN;
  }

  function sendFrame(data) {
    if (!isOpen()) return false;
    try {
      socket.send(JSON.stringify(data));
      return true;
    } catch (err) {
      return false;
    }
  }

  function transmit(entry) {
    var frame = { type: "message", client_id: entry.client_id, text: entry.text, page_url: config.pageUrl };
    if (entry.postback) frame.postback = entry.postback;
    var sent = sendFrame(frame);
    if (sent) watchForAck();
    return sent;
  }

  // A connection can die without the browser noticing for minutes (a phone changing networks, a
  // proxy dropping it). If a message is not acknowledged in time, start over on a fresh socket: the
  // outbox is resent there and the server stores each client_id once.
  var ACK_TIMEOUT = 12000;
  var ackTimer = null;

  function watchForAck() {
    clearTimeout(ackTimer);
    ackTimer = setTimeout(function () {
      if (outbox.length && socket !== null) dropSocket();
    }, ACK_TIMEOUT);
  }

  function dropSocket() {
    var dead = socket;
    socket = null;
    try {
      dead.close();
    } catch (err) {
      /* already closing */
    }
    connection = "closed";
    renderStatus();
    showNotice(S.reconnecting, "warn", true);
    scheduleReconnect();
  }

  function connect() {
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    if (socket !== null) return;
    connection = "connecting";
    renderStatus();
    var ws;
    try {
      ws = new WebSocket(socketUrl());
    } catch (err) {
      scheduleReconnect();
      return;
    }
    socket = ws;
    // a handshake that gets no answer is given up (then the usual reconnect); a browser alone waits minutes
    var openTimer = setTimeout(function () {
      if (ws.readyState === WebSocket.CONNECTING) ws.close();
    }, OPEN_TIMEOUT);
    ws.onopen = function () {
      clearTimeout(openTimer);
      if (ws !== socket) return;
      attempts = 0;
      everConnected = true;
      connection = "open";
      renderStatus();
      if (!notice.classList.contains("rc-notice--error")) showNotice("");
      sendFrame({ type: "hello", last_id: lastId });
      outbox.forEach(transmit);
    };
    ws.onmessage = function (event) {
      if (ws !== socket) return;
      var data;
      try {
        data = JSON.parse(event.data);
      } catch (err) {
        return;
      }
      if (data && typeof data === "object") handle(data);
    };
    ws.onclose = function () {
      clearTimeout(openTimer);
      if (ws !== socket) return;
      socket = null;
      connection = "closed";
      renderStatus();
      if (everConnected && outbox.length) showNotice(S.reconnecting, "warn", true);
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    if (reconnectTimer !== null) return;
    var delay = Math.min(MAX_DELAY, MIN_DELAY * Math.pow(2, attempts));
    delay = Math.min(MAX_DELAY, Math.round(delay * (0.85 + Math.random() * 0.3)));
    attempts += 1;
    reconnectTimer = setTimeout(connect, delay);
  }

  function reconnectNow() {
    if (socket !== null) return;
    attempts = 0;
    connect();
  }

  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) reconnectNow();
  });

  // ----------------------------------------------------------- protocol

  var pendingIdentify = false;

  function handle(data) {
    if (data.type === "history") {
      var wasPinned = pinned;
      (Array.isArray(data.messages) ? data.messages : []).forEach(function (message) {
        if (showServerMessage(message)) lastId = Math.max(lastId, message.id);
      });
      groupNeighbours();
      if (typeof data.agents_online === "boolean") agentsOnline = data.agents_online;
      renderStatus();
      if (prechatNeeded() && list.querySelector(".rc-msg--visitor")) finishPrechat();
      stickToBottom(wasPinned || !everShownHistory);
      everShownHistory = true;
    } else if (data.type === "ack") {
      var li = byClient.get(data.client_id);
      removeFromOutbox(data.client_id);
      if (outbox.length) watchForAck(); else clearTimeout(ackTimer);
      if (li && typeof data.id === "number" && !byId.has(data.id)) {
        li.dataset.id = String(data.id);
        byId.set(data.id, li);
        li.remove();
        insertInOrder(li, data.id);
        groupNeighbours();
      }
      if (li) setState(li, "sent");
      if (!outbox.length && notice.textContent === S.reconnecting) showNotice("");
    } else if (data.type === "message") {
      var known = data.message && byId.has(data.message.id);
      var shown = showServerMessage(data.message);
      groupNeighbours();
      stickToBottom(data.message && data.message.sender === "contact");
      if (shown && !known && data.message.sender !== "contact") announce();
    } else if (data.type === "agents") {
      agentsOnline = Boolean(data.online);
      renderStatus();
    } else if (data.type === "identified") {
      finishPrechat();
    } else if (data.type === "error") {
      var failed = data.client_id ? byClient.get(data.client_id) : null;
      var text = typeof data.message === "string" && data.message ? data.message : S.unreadable;
      if (failed) {
        // Rejected for good (too long, empty …): resending would not help.
        removeFromOutbox(data.client_id);
        if (!outbox.length) clearTimeout(ackTimer);
        setState(failed, "failed", text, [removeAction(failed, data.client_id)]);
      } else if (pendingIdentify) {
        pendingIdentify = false;
        prechatError.textContent = text;
        prechatError.hidden = false;
      } else {
        showNotice(text, "error");
      }
    }
  }

  var everShownHistory = false;

  function removeAction(li, clientId) {
    return {
      label: S.remove,
      run: function () {
        removeFromOutbox(clientId);
        byClient.delete(clientId);
        li.remove();
        groupNeighbours();
        input.focus();
      }
    };
  }

  // ------------------------------------------------- visibility, unread

  var widgetVisible = window.parent === window; // standalone page: always visible
  var unread = 0;

  function tellParent(message) {
    if (window.parent !== window) window.parent.postMessage(message, "*");
  }

  function announce() {
    if (widgetVisible && !document.hidden) return;
    unread += 1;
    tellParent({ ruamchat: "unread", count: unread });
  }

  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || !event.data || typeof event.data !== "object") return;
    if (event.data.ruamchat === "visibility") {
      widgetVisible = Boolean(event.data.open);
      if (widgetVisible) {
        unread = 0;
        stickToBottom(true);
        if (window.matchMedia && window.matchMedia("(pointer: fine)").matches) {
          (prechatNeeded() ? document.getElementById("rc-prechat-name") : input).focus();
        }
      }
    }
  });

  if (window.parent !== window) {
    closeButton.hidden = false;
    closeButton.addEventListener("click", function () { tellParent({ ruamchat: "close" }); });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") tellParent({ ruamchat: "close" });
    });
  }

  // ------------------------------------------------------------ pre-chat

  function prechatNeeded() {
    return Boolean(config.prechat) && storage.getItem(PREFIX + "identified") !== "1";
  }

  function finishPrechat() {
    pendingIdentify = false;
    storage.setItem(PREFIX + "identified", "1");
    prechat.hidden = true;
    app.classList.remove("rc-needs-prechat");
    input.disabled = false;
    fileInput.disabled = false;
    if (widgetVisible) input.focus();
  }

  if (prechatNeeded()) {
    prechat.hidden = false;
    app.classList.add("rc-needs-prechat");
    input.disabled = true;
    fileInput.disabled = true;
    prechat.addEventListener("submit", function (event) {
      event.preventDefault();
      var name = prechat.elements.namedItem("name").value.trim();
      var email = prechat.elements.namedItem("email").value.trim();
      prechatError.hidden = true;
      if (!prechat.checkValidity() || !name) {
        prechat.reportValidity();
        return;
      }
      pendingIdentify = true;
      if (!sendFrame({ type: "identify", name: name, email: email })) {
        pendingIdentify = false;
        prechatError.textContent = S.connecting;
        prechatError.hidden = false;
      }
    });
  }

  // ------------------------------------------------------------ composer

  function length(text) {
    return Array.from(text).length; // code points, as the server counts
  }

  function updateComposer() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 140) + "px";
    var used = length(input.value);
    var near = used > config.maxChars - 500;
    counter.hidden = !near;
    if (near) {
      counter.textContent = used + " / " + config.maxChars;
      counter.classList.toggle("rc-over", used > config.maxChars);
    }
  }

  function queueMessage(text, postback) {
    var entry = { client_id: randomId(16), text: text, created_at: new Date().toISOString() };
    if (postback) entry.postback = postback;
    outbox.push(entry);
    saveOutbox(); // before it goes anywhere: a closed tab or a dropped socket cannot lose it
    showPending(entry.client_id, entry);
    transmit(entry);
  }

  function choose(text, postback, event) {
    // A pressed card or quick-reply button: its label as the visitor's words, its data for the bot.
    if (!text || prechatNeeded() || (event && event.detail > 1)) return; // a double click sends once
    queueMessage(text, postback);
    var keyboard = event && event.detail === 0;
    if (keyboard || (window.matchMedia && window.matchMedia("(pointer: fine)").matches)) input.focus();
  }

  function sendText() {
    var text = input.value.trim();
    if (!text) return;
    if (length(text) > config.maxChars) {
      showNotice(S.tooLong, "error");
      return;
    }
    queueMessage(text, "");
    input.value = "";
    updateComposer();
    if (!notice.classList.contains("rc-notice--error") || notice.textContent === S.tooLong) showNotice("");
  }

  composer.addEventListener("submit", function (event) {
    event.preventDefault();
    sendText();
    input.focus();
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      sendText();
    }
  });
  input.addEventListener("input", updateComposer);

  // ------------------------------------------------------------- uploads

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  }

  function upload(file, clientId, li) {
    var form = new FormData();
    form.append("visitor", visitor);
    form.append("client_id", clientId);
    form.append("page_url", config.pageUrl || "");
    form.append("file", file, file.name);
    setState(li, "sending");
    fetch(config.uploadUrl, { method: "POST", body: form, credentials: "omit" })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          return { ok: response.ok, body: body };
        });
      })
      .then(function (result) {
        if (result.ok && result.body.message) {
          showServerMessage(result.body.message);
          groupNeighbours();
          stickToBottom(true);
        } else {
          setState(li, "failed", result.body.error || S.uploadFailed, [removeAction(li, clientId)]);
        }
      })
      .catch(function () {
        setState(li, "failed", S.uploadFailed, [
          { label: S.retry, run: function () { upload(file, clientId, li); } },
          removeAction(li, clientId)
        ]);
      });
  }

  fileInput.addEventListener("change", function () {
    var file = fileInput.files && fileInput.files[0];
    fileInput.value = "";
    if (!file) return;
    var clientId = randomId(16);
    var isImage = /^image\/(jpeg|png|gif|webp)$/.test(file.type);
    var preview = { kind: isImage ? "image" : "file", filename: file.name, size: file.size,
      url: isImage ? URL.createObjectURL(file) : "" };
    var li = showPending(clientId, { attachments: [preview] });
    if (file.size > config.maxUploadBytes) {
      setState(li, "failed", fill(S.fileTooLarge, {
        name: file.name, mb: Math.floor(config.maxUploadBytes / (1024 * 1024))
      }), [removeAction(li, clientId)]);
      return;
    }
    upload(file, clientId, li);
  });

  // --------------------------------------------------------------- start

  outbox.forEach(function (entry) { showPending(entry.client_id, entry); });
  renderStatus();
  updateComposer();
  connect();
})();
