/* ruamchat agent UI: live updates over the agent websocket, keyboard shortcuts, canned responses.
 *
 * Everything works without this file (plain forms and links); it only makes the page live and faster.
 * The server sends events with ids only; this script fetches what changed through permission-checked
 * partials (/inbox/list, /inbox/c/<id>/messages, /inbox/c/<id>/state).
 */
(function () {
  "use strict";

  const body = document.body;
  document.documentElement.classList.add("js");
  const conversationId = body.dataset.conversationId ? Number(body.dataset.conversationId) : null;

  /* ------------------------------------------------------------------ small helpers */

  function debounce(fn, ms) {
    let timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function isTyping(target) {
    if (!target || !(target instanceof Element)) return false;
    return target.matches("input, textarea, select, [contenteditable], [contenteditable] *");
  }

  async function getPartial(url) {
    const response = await fetch(url, {
      credentials: "same-origin",
      headers: { "HX-Request": "true", "HX-Current-URL": location.href },
    });
    const redirect = response.headers.get("HX-Redirect");
    if (redirect) {
      location.assign(redirect); // signed out meanwhile: go to the login page
      return null;
    }
    if (!response.ok) return null;
    return response.text();
  }

  function swapOuter(selector, html) {
    if (window.htmx && document.querySelector(selector)) {
      window.htmx.swap(selector, html, { swapStyle: "outerHTML" });
    }
  }

  /* What the agent has typed or chosen but not submitted yet, by field id: a live refresh keeps it. */
  function editedFields(container) {
    const edits = [];
    if (!container) return edits;
    for (const field of container.querySelectorAll("input[id], textarea[id], select[id]")) {
      if (field.type === "hidden" || field.type === "submit" || field.type === "button") continue;
      if (field.tagName === "SELECT") {
        const changed = Array.from(field.options).some((option) => option.selected !== option.defaultSelected);
        if (changed) edits.push({ id: field.id, value: field.value });
      } else if (field.type === "checkbox" || field.type === "radio") {
        if (field.checked !== field.defaultChecked) edits.push({ id: field.id, checked: field.checked });
      } else if (field.value !== field.defaultValue) {
        edits.push({ id: field.id, value: field.value });
      }
    }
    return edits;
  }

  function reapplyEdits(edits) {
    for (const edit of edits) {
      const field = document.getElementById(edit.id);
      if (!field) continue;
      if ("checked" in edit) field.checked = edit.checked;
      else field.value = edit.value;
    }
  }

  /* ------------------------------------------------------------------ help dialog */

  function openDialog(id) {
    const dialog = document.getElementById(id);
    if (dialog && typeof dialog.showModal === "function" && !dialog.open) dialog.showModal();
  }

  document.addEventListener("click", function (event) {
    const opener = event.target.closest("[data-open-dialog]");
    if (opener) openDialog(opener.dataset.openDialog);
  });

  /* ------------------------------------------------------------------ knowledge base */
  // A suggested article goes into the composer at the caret: its link, or its text.
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-kb-insert]");
    if (!button) return;
    const textarea = document.getElementById("composer-text");
    if (!textarea) return;
    const text = button.dataset.kbInsert;
    const start = textarea.selectionStart ?? textarea.value.length;
    const end = textarea.selectionEnd ?? textarea.value.length;
    const before = textarea.value.slice(0, start);
    const glue = before && !/\s$/.test(before) ? " " : "";
    textarea.value = before + glue + text + textarea.value.slice(end);
    const caret = before.length + glue.length + text.length;
    textarea.focus();
    textarea.setSelectionRange(caret, caret);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  });

  // Forms that delete ask first.
  document.addEventListener("submit", function (event) {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });

  // The article editor: Write / Preview tabs (without script, the Preview button reloads the page with it).
  const editor = document.querySelector(".kb-editor[data-preview-url]");
  if (editor) {
    const tabs = editor.querySelector(".kb-tabs");
    const write = document.getElementById("kb-tab-write");
    const show = document.getElementById("kb-tab-preview");
    const bodyWrap = document.getElementById("kb-body-wrap");
    const preview = document.getElementById("kb-preview");
    const body = document.getElementById("kb-body");
    const csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
    tabs.hidden = false;
    const select = function (previewing) {
      write.setAttribute("aria-selected", String(!previewing));
      show.setAttribute("aria-selected", String(previewing));
      bodyWrap.hidden = previewing;
      preview.hidden = !previewing;
    };
    write.addEventListener("click", function () { select(false); body.focus(); });
    show.addEventListener("click", async function () {
      const data = new FormData();
      data.append("body", body.value);
      const response = await fetch(editor.dataset.previewUrl, {
        method: "POST", body: data, headers: { "X-CSRFToken": csrf ? csrf.value : "" }, credentials: "same-origin",
      });
      preview.innerHTML = response.ok ? await response.text() : "";
      select(true);
    });
  }

  /* Other pages that want live events (the wallboard) set data-ws-path too and listen on document for
   * "ruamchat:event" (detail: {event, payload}) and "ruamchat:connected" (after each (re)connection). */
  if (!body.classList.contains("page-inbox") && !body.dataset.wsPath) return;

  /* ------------------------------------------------------------------ queue list */

  const listUrl = () => {
    const list = document.getElementById("queue-list");
    return list ? list.dataset.src : null;
  };

  async function refreshList() {
    const url = listUrl();
    if (!url) return;
    const html = await getPartial(url);
    if (html !== null) swapOuter("#queue-list", html);
  }

  const scheduleListRefresh = debounce(refreshList, 300);

  /* ------------------------------------------------------------------ messages */

  const messagesUrl = body.dataset.messagesUrl;
  const stateUrl = body.dataset.stateUrl;
  let fetchingMessages = false;
  let fetchAgain = false;

  function scroller() {
    return document.getElementById("messages");
  }

  function nearBottom() {
    const box = scroller();
    return !box || box.scrollHeight - box.scrollTop - box.clientHeight < 120;
  }

  function scrollToBottom() {
    const box = scroller();
    if (box) box.scrollTop = box.scrollHeight;
  }

  function mergeMessages(html, forceScroll) {
    const list = document.getElementById("message-list");
    if (!list) return;
    const stickToBottom = forceScroll || nearBottom();
    const template = document.createElement("template");
    template.innerHTML = html;
    let appended = false;
    for (const node of Array.from(template.content.children)) {
      const id = node.dataset.messageId;
      if (id) {
        const existing = list.querySelector('[data-message-id="' + CSS.escape(id) + '"]');
        if (existing) {
          existing.replaceWith(node);
        } else {
          list.appendChild(node);
          appended = true;
        }
        if (window.htmx) window.htmx.process(node);
      } else if (node.classList.contains("divider")) {
        const rendered = list.querySelectorAll("[data-message-id]");
        const last = rendered[rendered.length - 1];
        if (!last || last.dataset.conversationId !== node.dataset.dividerConversationId) list.appendChild(node);
      }
    }
    if (appended && stickToBottom) scrollToBottom();
  }

  /* New messages after the last one shown, plus fresh copies of those still sending (or failed).
   * One request at a time; a request asked for meanwhile runs right after, so nothing is skipped. */
  async function fetchMessages(forceScroll) {
    if (!messagesUrl) return;
    if (fetchingMessages) {
      fetchAgain = true;
      return;
    }
    fetchingMessages = true;
    try {
      do {
        fetchAgain = false;
        const list = document.getElementById("message-list");
        if (!list) break;
        const rendered = list.querySelectorAll("[data-message-id]");
        const last = rendered[rendered.length - 1];
        const params = new URLSearchParams();
        params.set("after", last ? last.dataset.messageId : "0");
        params.set("prev", last ? last.dataset.conversationId : "0");
        const unsettled = Array.from(list.querySelectorAll('[data-status="pending"], [data-status="failed"]'))
          .map((el) => el.dataset.messageId)
          .slice(-50);
        if (unsettled.length) params.set("ids", unsettled.join(","));
        const html = await getPartial(messagesUrl + "?" + params.toString());
        if (html === null) break;
        mergeMessages(html, forceScroll);
      } while (fetchAgain);
    } finally {
      fetchingMessages = false;
    }
  }

  /* ------------------------------------------------------------------ header, controls, timeline */

  /* While the agent's own htmx request is on its way, its answer will bring the new state; swapping the
   * panel under it would detach the form it came from. Refresh once it has landed instead. */
  let htmxInFlight = 0;
  let stateWanted = false;
  body.addEventListener("htmx:beforeRequest", function () {
    htmxInFlight += 1;
  });
  body.addEventListener("htmx:afterRequest", function () {
    htmxInFlight = Math.max(0, htmxInFlight - 1);
    if (htmxInFlight === 0 && stateWanted) {
      stateWanted = false;
      scheduleStateRefresh();
    }
  });

  async function refreshState() {
    if (!stateUrl) return;
    if (htmxInFlight > 0) {
      stateWanted = true;
      return;
    }
    const html = await getPartial(stateUrl);
    if (html === null) return;
    if (htmxInFlight > 0) {
      stateWanted = true;
      return;
    }
    const template = document.createElement("template");
    template.innerHTML = html;
    const incoming = template.content.querySelector("#conv-header");
    const current = document.getElementById("conv-header");
    if (!incoming || !current) return;
    if (incoming.dataset.version === current.dataset.version) return; // nothing changed
    const edits = editedFields(document.getElementById("conv-side")).concat(editedFields(current));
    swapOuter("#conv-header", html);
    reapplyEdits(edits);
  }

  const scheduleStateRefresh = debounce(refreshState, 300);

  function catchUp() {
    refreshList();
    if (conversationId) {
      fetchMessages(false);
      refreshState();
    }
  }

  /* After our own reply or a control change (htmx answers with HX-Trigger: rc:changed). */
  body.addEventListener("rc:changed", function () {
    scheduleListRefresh();
    if (conversationId) {
      fetchMessages(true);
      scheduleStateRefresh();
    }
  });

  /* ------------------------------------------------------------------ websocket */

  const statusEl = document.getElementById("connection-status");
  let socket = null;
  let backoff = 1000;
  let pingTimer = null;

  function setConnection(state) {
    if (!statusEl) return;
    statusEl.dataset.state = state;
    const label = statusEl.dataset["label" + state.charAt(0).toUpperCase() + state.slice(1)];
    if (label && statusEl.textContent !== label) statusEl.textContent = label;
  }

  /* A handshake that gets no answer (a server or proxy that took the connection and hangs) is given up after
     this long, and the usual reconnect follows: a browser by itself would wait for it for minutes. */
  const OPEN_TIMEOUT = 20000;

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const opening = new WebSocket(scheme + "//" + location.host + (body.dataset.wsPath || "/ws/agent/"));
    socket = opening;
    const openTimer = setTimeout(function () {
      if (opening.readyState === WebSocket.CONNECTING) opening.close();
    }, OPEN_TIMEOUT);
    socket.addEventListener("open", function () {
      clearTimeout(openTimer);
      backoff = 1000;
      setConnection("online");
      clearInterval(pingTimer);
      pingTimer = setInterval(function () {
        if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "ping" }));
      }, 30000);
      // Whatever happened while we were away (or between page render and now) is fetched again.
      catchUp();
      document.dispatchEvent(new CustomEvent("ruamchat:connected"));
    });
    socket.addEventListener("message", function (message) {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch (error) {
        return;
      }
      if (!data || data.type !== "event") return;
      const payload = data.payload || {};
      document.dispatchEvent(new CustomEvent("ruamchat:event", { detail: { event: data.event, payload: payload } }));
      if (data.event === "presence.changed") return; // for the wallboard: nothing in the inbox shows it
      if (data.event === "sla.alert") showSlaAlert(payload);
      if (data.event === "followup.opened") showFollowUpAlert(payload);
      scheduleListRefresh();
      if (conversationId && payload.conversation_id === conversationId) {
        if (String(data.event).indexOf("message.") === 0) fetchMessages(false);
        scheduleStateRefresh();
      }
    });
    socket.addEventListener("close", function (event) {
      clearTimeout(openTimer);
      clearInterval(pingTimer);
      if (event.code === 4401) {
        // signed out (the session ended, here or by an administrator): to the sign-in page, then back here
        location.assign("/login/?next=" + encodeURIComponent(location.pathname + location.search));
        return;
      }
      socket = null;
      setConnection("reconnecting");
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 15000);
    });
  }

  /* An SLA clock is at risk or breached: a notice that links to the conversation (announced by screen
     readers through the live region), kept until dismissed. */
  function showSlaAlert(payload) {
    const box = document.getElementById("live-alerts");
    if (!box) return;
    const label = payload.level === "breached" ? box.dataset.labelBreached : box.dataset.labelWarning;
    const clock = box.dataset["clock_" + payload.clock] || payload.clock;
    showLiveAlert(box, [payload.conversation_id, payload.clock, payload.level, payload.due_at].join("|"),
      "sla-" + (payload.level === "breached" ? "breached" : "at_risk"), payload.conversation_id,
      (label || "SLA") + " · #" + payload.conversation_id + " · " + clock);
  }

  /* An unhappy survey answer opened a follow-up conversation (to supervisors and the follow-up team). */
  function showFollowUpAlert(payload) {
    const box = document.getElementById("live-alerts");
    if (!box) return;
    showLiveAlert(box, "follow-up|" + payload.conversation_id, "follow-up", payload.conversation_id,
      (box.dataset.labelFollowUp || "Follow-up") + " · " + String(payload.survey || "").toUpperCase() + " " +
      payload.score + " · #" + payload.conversation_id);
  }

  function showLiveAlert(box, key, kind, conversationId, text) {
    if (!conversationId) return;
    // one event reaches an agent through several groups (their own, their team's): show it once
    if (Array.from(box.children).some(function (el) { return el.dataset.key === key; })) return;
    const item = document.createElement("div");
    item.dataset.key = key;
    item.className = "live-alert " + kind;
    item.dataset.conversationId = String(conversationId);
    const link = document.createElement("a");
    link.href = "/inbox/c/" + encodeURIComponent(conversationId) + "/";
    link.textContent = text;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn btn-quiet btn-small";
    close.textContent = "×";
    close.setAttribute("aria-label", box.dataset.labelDismiss || "Dismiss");
    close.addEventListener("click", function () { item.remove(); });
    item.appendChild(link);
    item.appendChild(close);
    box.appendChild(item);
  }

  if (body.dataset.wsPath && "WebSocket" in window) connect();
  // waiting times in the list age even when nothing happens
  setInterval(scheduleListRefresh, 60000);
  scrollToBottom();

  /* ------------------------------------------------------------------ composer: note toggle, send, canned */

  function composerParts() {
    const form = document.getElementById("composer");
    if (!form) return null;
    return {
      form: form,
      text: form.querySelector("textarea[name=text]"),
      private: form.querySelector("input[name=private]"),
      label: form.querySelector(".composer-label"),
      send: form.querySelector("button[name=send]"),
      menu: form.querySelector("#canned-menu"),
    };
  }

  function showNoteMode() {
    const parts = composerParts();
    if (!parts || !parts.private) return;
    const note = parts.private.checked;
    parts.form.classList.toggle("is-note", note);
    const key = note ? "labelNote" : "labelReply";
    if (parts.label && parts.text.dataset[key]) parts.label.textContent = parts.text.dataset[key];
    if (parts.send && parts.send.dataset[key]) parts.send.textContent = parts.send.dataset[key];
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("#composer input[name=private]")) showNoteMode();
    if (event.target.matches("#composer input[name=files]")) {
      const names = document.getElementById("composer-file-names");
      if (names) names.textContent = Array.from(event.target.files).map((file) => file.name).join(", ");
    }
  });

  let cannedStart = -1;
  let cannedRequest = 0;

  function closeCanned() {
    const parts = composerParts();
    cannedStart = -1;
    if (parts && parts.menu) {
      parts.menu.hidden = true;
      parts.menu.innerHTML = "";
    }
  }

  function cannedOptions() {
    const parts = composerParts();
    return parts && parts.menu ? Array.from(parts.menu.querySelectorAll(".canned-option")) : [];
  }

  function highlight(index) {
    const options = cannedOptions();
    options.forEach((option, i) => option.setAttribute("aria-selected", i === index ? "true" : "false"));
    if (options[index]) options[index].scrollIntoView({ block: "nearest" });
  }

  function insertCanned(option) {
    const parts = composerParts();
    if (!parts || cannedStart < 0) return;
    const textarea = parts.text;
    const caret = textarea.selectionStart;
    const value = textarea.value;
    const text = option.dataset.text || "";
    textarea.value = value.slice(0, cannedStart) + text + value.slice(caret);
    const position = cannedStart + text.length;
    closeCanned();
    textarea.focus();
    textarea.setSelectionRange(position, position);
  }

  const lookupCanned = debounce(async function () {
    const parts = composerParts();
    const url = body.dataset.cannedUrl;
    if (!parts || !url) return;
    const before = parts.text.value.slice(0, parts.text.selectionStart);
    const match = before.match(/(^|\s)\/([^\s/]{0,50})$/);
    if (!match) {
      closeCanned();
      return;
    }
    cannedStart = before.length - match[2].length - 1;
    const request = ++cannedRequest;
    const html = await getPartial(url + "?q=" + encodeURIComponent(match[2]));
    if (html === null || request !== cannedRequest || cannedStart < 0) return;
    parts.menu.innerHTML = html;
    parts.menu.hidden = false;
  }, 150);

  document.addEventListener("input", function (event) {
    if (event.target.matches("#composer textarea[name=text]")) lookupCanned();
  });

  document.addEventListener("click", function (event) {
    const option = event.target.closest(".canned-option");
    if (option) {
      event.preventDefault();
      insertCanned(option);
    } else if (!event.target.closest("#canned-menu")) {
      closeCanned();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (!event.target.matches("#composer textarea[name=text]")) return;
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      event.preventDefault();
      closeCanned();
      event.target.form.requestSubmit();
      return;
    }
    const options = cannedOptions();
    const parts = composerParts();
    if (!options.length || !parts || parts.menu.hidden) {
      if (event.key === "Escape") closeCanned();
      return;
    }
    const current = options.findIndex((option) => option.getAttribute("aria-selected") === "true");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      highlight(current < 0 ? (step > 0 ? 0 : options.length - 1) : (current + step + options.length) % options.length);
    } else if ((event.key === "Enter" || event.key === "Tab") && current >= 0) {
      event.preventDefault();
      insertCanned(options[current]);
    } else if (event.key === "Escape") {
      event.preventDefault();
      closeCanned();
    }
  });

  /* ------------------------------------------------------------------ keyboard shortcuts */

  function moveInQueue(step) {
    const links = Array.from(document.querySelectorAll("#queue-list .queue-link"));
    if (!links.length) return;
    let index = links.indexOf(document.activeElement);
    if (index < 0) index = links.findIndex((link) => link.getAttribute("aria-current") === "page");
    const next = index < 0 ? (step > 0 ? 0 : links.length - 1) : Math.min(Math.max(index + step, 0), links.length - 1);
    links[next].focus();
    links[next].scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target) || document.querySelector("dialog[open]")) return;
    const parts = composerParts();
    switch (event.key) {
      case "j":
        event.preventDefault();
        moveInQueue(1);
        break;
      case "k":
        event.preventDefault();
        moveInQueue(-1);
        break;
      case "r":
        if (parts && parts.text) {
          event.preventDefault();
          parts.text.focus();
        }
        break;
      case "n":
        if (parts && parts.private) {
          event.preventDefault();
          parts.private.checked = !parts.private.checked;
          showNoteMode();
          parts.text.focus();
        }
        break;
      case "/": {
        const search = document.getElementById("filter-q");
        if (search && search.offsetParent !== null) {
          event.preventDefault();
          search.focus();
          search.select();
        }
        break;
      }
      case "?":
        event.preventDefault();
        openDialog("help-dialog");
        break;
      default:
        break;
    }
  });

})();

/* Global search in the top bar: "/" focuses it (on the inbox, where "/" is the queue's filter, press it again
 * in the empty filter); Escape or a click elsewhere closes the results panel. Without this the box is a form. */
(function () {
  "use strict";

  const box = document.getElementById("global-search-q");
  const panel = document.getElementById("global-search-panel");
  if (!box || !panel) return;

  function typing(target) {
    return target instanceof Element && target.matches("input, textarea, select, [contenteditable], [contenteditable] *");
  }

  function close() {
    panel.hidden = true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (document.querySelector("dialog[open]")) return;
    const inEmptyFilter = event.target instanceof HTMLInputElement && event.target.id === "filter-q" && !event.target.value;
    if (typing(event.target) && !inEmptyFilter) return;
    event.preventDefault();
    box.focus();
    box.select();
  });

  box.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      if (!panel.hidden && panel.innerHTML.trim()) close(); else box.blur();
    }
  });
  box.addEventListener("focus", function () { panel.hidden = false; });
  box.addEventListener("click", function () { panel.hidden = false; });
  box.addEventListener("input", function () { if (!box.value.trim()) panel.innerHTML = ""; });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.target === panel) panel.hidden = false;
  });
  document.addEventListener("click", function (event) {
    if (!(event.target instanceof Node) || !box.form.contains(event.target)) close();
  });
})();
