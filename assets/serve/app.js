// imaginize serve: keeps the server-rendered pages live. The book page follows the book's event
// stream (a snapshot, then numbered updates) and rebuilds only the chapter cells that changed;
// when the stream drops it re-fetches the snapshot at most every 5 s until it is back. Forms
// are posted in the background with the CSRF header. Every value goes in as text, never HTML.
"use strict";
(function () {
  var body = document.body;
  var book = body.dataset.book;
  var csrf = body.dataset.csrf;
  var page = body.dataset.page;
  var leaseSecs = 60;
  var clockOffset = 0; // server time minus this browser's time, in ms

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function path(p) {
    return p.split("/").map(encodeURIComponent).join("/");
  }

  // The same cell as `chapter_cell` in src/serve/pages/book.rs.
  function chapterCell(ch) {
    var li = el("li", { class: "ch st-" + ch.status, id: "ch-" + ch.number, "data-ch": ch.number }, [
      el("div", { class: "t" }, [ch.number + ". " + ch.title]),
      el("div", { class: "s" }, [ch.status.replace(/_/g, " ") + " · " + ch.scenes_done + "/" + ch.concepts + " scenes"])
    ]);
    if (ch.worker) {
      li.appendChild(el("div", { class: "w" }, [ch.worker + " · lease left ",
        el("span", { "data-hb": ch.heartbeat_at || "" }, ["…"])]));
    }
    if (ch.error) {
      li.appendChild(el("div", { class: "error" }, [ch.error]));
      var form = el("form", { method: "post",
        action: "/api/books/" + book + "/chapters/" + ch.number + "/retry?csrf=" + encodeURIComponent(csrf) },
        [el("button", {}, ["retry failed"])]);
      li.appendChild(form);
    }
    var thumbs = el("div", { class: "thumbs" });
    ch.thumbs.forEach(function (t) {
      thumbs.appendChild(el("a", { href: "/books/" + book + "/scenes/" + ch.number + "/" + t.scene }, [
        el("img", { src: "/books/" + book + "/files/" + path(t.image),
          alt: "chapter " + ch.number + " scene " + t.scene, loading: "lazy" })]));
    });
    li.appendChild(thumbs);
    return li;
  }

  function applyHead(head, now) {
    leaseSecs = head.lease_secs;
    if (now) { clockOffset = Date.parse(now) - Date.now(); }
    Object.keys(head.display).forEach(function (key) {
      document.querySelectorAll('[data-k="' + key + '"]').forEach(function (node) {
        node.textContent = head.display[key];
      });
    });
    var workers = document.getElementById("workers");
    if (workers) {
      workers.replaceChildren.apply(workers, head.workers.map(function (w) {
        var beat = w.heartbeat_at ? new Date(w.heartbeat_at).toISOString().slice(11, 19) + " UTC" : "";
        return el("tr", {}, [el("td", {}, [w.worker]), el("td", {}, [w.chapters.join(", ")]), el("td", {}, [beat])]);
      }));
    }
    var log = document.getElementById("log");
    if (log) { log.textContent = head.log.join("\n"); }
  }

  function applyChapters(chapters, whole) {
    var grid = document.getElementById("grid");
    if (!grid) { return; }
    if (whole) {
      grid.replaceChildren.apply(grid, chapters.map(chapterCell));
    } else {
      chapters.forEach(function (ch) {
        var old = document.getElementById("ch-" + ch.number);
        if (old) { old.replaceWith(chapterCell(ch)); } else { grid.appendChild(chapterCell(ch)); }
      });
    }
    tickLeases();
  }

  function tickLeases() {
    var now = Date.now() + clockOffset;
    document.querySelectorAll("[data-hb]").forEach(function (node) {
      var beat = Date.parse(node.dataset.hb);
      if (isNaN(beat)) { return; }
      var left = Math.max(0, Math.round(leaseSecs - (now - beat) / 1000));
      node.textContent = left + "s";
    });
  }

  function setLive(text) {
    var live = document.getElementById("live");
    if (live) { live.textContent = text; }
  }

  function follow() {
    var polling = null;
    var source = new EventSource("/api/books/" + book + "/events");
    function snapshot(data) {
      applyHead(data.book.head, data.now);
      applyChapters(data.book.chapters, true);
    }
    function poll() {
      fetch("/api/books/" + book, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) { snapshot(data); } })
        .catch(function () { setLive("· server unreachable"); });
    }
    source.addEventListener("snapshot", function (e) { snapshot(JSON.parse(e.data)); });
    source.addEventListener("update", function (e) {
      var data = JSON.parse(e.data);
      applyHead(data.head, data.now);
      applyChapters(data.chapters, false);
    });
    source.onopen = function () {
      setLive("· live");
      if (polling) { clearInterval(polling); polling = null; }
    };
    source.onerror = function () {
      setLive("· reconnecting");
      if (!polling) { polling = setInterval(poll, 5000); }
    };
    setInterval(tickLeases, 1000);
    tickLeases();
  }

  // Forms post in the background; the page's live state (or a message) shows the outcome.
  function postInBackground(event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method !== "post") { return; }
    event.preventDefault();
    var note = form.querySelector(".saved");
    if (note && form.dataset.reload) { note.textContent = "Working…"; }
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" },
      body: new URLSearchParams(new FormData(form))
    }).then(function (r) {
      return r.text().then(function (text) {
        var answer = {};
        try { answer = JSON.parse(text); } catch (e) { answer = { error: text }; }
        if (note) { note.textContent = r.ok ? "Saved." : (answer.error || "Not saved."); }
        if (r.ok && form.dataset.reload) { location.reload(); }
      });
    }).catch(function () {
      if (note) { note.textContent = "Not saved: the server is unreachable."; }
    });
  }

  document.addEventListener("submit", postInBackground);
  if (page === "book" && book) { follow(); }
})();
