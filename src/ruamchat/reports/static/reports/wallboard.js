/* The live wallboard. app.js holds the agent websocket and re-dispatches what it hears on document as
 * "ruamchat:event"; when an event may change the numbers, the board is fetched again from the server
 * (at most once a second however busy it gets), and once a minute anyway: SLA clocks turn "at risk" and
 * "breached" with time alone. The "oldest waiting" ages tick every second here, on the server's clock.
 */
(function () {
  "use strict";

  const root = document.getElementById("wallboard");
  if (!root) return;
  const boardUrl = root.dataset.boardUrl;
  // events that can move a number on the board (message.updated is only a delivery receipt)
  const RELEVANT = /^(conversation|sla|presence|followup)\.|^message\.created$/;
  let offset = 0; // the server's clock minus ours, in seconds
  let pending = null;
  let fetching = false;
  let fetchAgain = false;

  function readServerClock() {
    const board = document.getElementById("wallboard-board");
    const now = board ? Number(board.dataset.now) : NaN;
    if (!Number.isNaN(now)) offset = now - Date.now() / 1000;
  }

  /* "4:05" or "1:02:03", as reports/wallboard.py format_age writes it. */
  function formatAge(seconds) {
    const total = Math.max(0, Math.floor(seconds));
    const hours = Math.floor(total / 3600);
    const minutes = Math.floor((total % 3600) / 60);
    const secs = String(total % 60).padStart(2, "0");
    return hours ? hours + ":" + String(minutes).padStart(2, "0") + ":" + secs : minutes + ":" + secs;
  }

  function tick() {
    const now = Date.now() / 1000 + offset;
    for (const age of document.querySelectorAll("#wallboard-board [data-since]")) {
      const text = formatAge(now - Number(age.dataset.since));
      if (age.textContent !== text) age.textContent = text;
    }
  }

  /* One request at a time; one asked for meanwhile runs right after, so the last change is always shown. */
  async function refresh() {
    if (fetching) {
      fetchAgain = true;
      return;
    }
    fetching = true;
    try {
      do {
        fetchAgain = false;
        const response = await fetch(boardUrl, {
          credentials: "same-origin", cache: "no-store", headers: { "HX-Request": "true" },
        });
        const redirect = response.headers.get("HX-Redirect");
        if (redirect) {
          location.assign(redirect); // signed out meanwhile: go to the login page
          return;
        }
        if (!response.ok) break;
        const template = document.createElement("template");
        template.innerHTML = await response.text();
        const incoming = template.content.querySelector("#wallboard-board");
        const current = document.getElementById("wallboard-board");
        if (incoming && current) current.replaceWith(incoming);
        readServerClock();
        tick();
      } while (fetchAgain);
    } catch (error) {
      // the network is down: the next event, the reconnection or the minute's refresh tries again
    } finally {
      fetching = false;
    }
  }

  /* Not a plain debounce: on a busy day events never pause for a second, and the board must still move. */
  function scheduleRefresh() {
    if (pending !== null) return;
    pending = setTimeout(function () {
      pending = null;
      refresh();
    }, 1000);
  }

  document.addEventListener("ruamchat:event", function (event) {
    if (event.detail && RELEVANT.test(String(event.detail.event))) scheduleRefresh();
  });
  // connected (again): whatever happened between the page's render, or the outage, and now
  document.addEventListener("ruamchat:connected", scheduleRefresh);

  const fullscreen = document.getElementById("wallboard-fullscreen");
  if (fullscreen && document.fullscreenEnabled) {
    fullscreen.hidden = false;
    fullscreen.addEventListener("click", function () {
      if (document.fullscreenElement) document.exitFullscreen();
      else root.requestFullscreen();
    });
  }

  readServerClock();
  tick();
  setInterval(tick, 1000);
  setInterval(refresh, 60000);
})();
