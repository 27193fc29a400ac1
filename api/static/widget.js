/*
 * Chat widget for the social-security reports service. Plain JS, no build step.
 *
 * Embed it on any page with one tag:
 *   <script src="https://host/widget.js" data-endpoint="https://host"></script>
 * Options (data-* attributes of the script tag):
 *   data-endpoint  base URL of the API (default: where widget.js came from)
 *   data-mount     CSS selector of a container to render into (default: a floating button + panel)
 *   data-api-key   sent as X-API-Key, only for services that set RAG_API_KEY (never put a secret on a public page)
 *
 * The UI lives in a Shadow DOM so the host page's CSS cannot break it and its CSS cannot leak out.
 * All server text is inserted with textContent, never innerHTML.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var assets = new URL(".", script.src); // widget.css comes from wherever widget.js came from
  var endpoint = (script.dataset.endpoint || assets.origin).replace(/\/+$/, "");
  var apiKey = script.dataset.apiKey || "";
  var CONTEXT_LINES = 3;
  var EXAMPLES = [
    "¿Cuántos derechohabientes tenía el IMSS al cierre de 2012?",
    "¿Cuántos pensionados tenía el ISSSTE en 2012?",
  ];
  var ERRORS = {
    bad_question: "La pregunta está vacía o es demasiado larga (máximo 1000 caracteres).",
    invalid_request: "La pregunta no es válida.",
    body_too_large: "La pregunta es demasiado larga.",
    rate_limited: "Demasiadas preguntas seguidas. Espere un momento e intente de nuevo.",
    unauthorized: "El servicio requiere una clave de acceso.",
  };
  var UNREACHABLE = "No se pudo conectar con el servicio. Compruebe su conexión o intente de nuevo más tarde.";
  function unavailable(status) { return "El servicio no está disponible en este momento (error " + status + "). Intente de nuevo más tarde."; }

  // --- small DOM helpers ------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "class") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }
  var SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // --- the API ----------------------------------------------------------------
  function ServiceError(message) { this.message = message; }
  function api(path, options) {
    var headers = { Accept: "application/json" };
    if (options && options.body) headers["Content-Type"] = "application/json";
    if (apiKey) headers["X-API-Key"] = apiKey;
    return fetch(endpoint + path, Object.assign({ headers: headers }, options || {})).then(
      function (response) {
        if (response.ok) return response.json();
        if (response.status >= 500) throw new ServiceError(unavailable(response.status));
        return response.json().then(
          function (body) { throw new ServiceError(ERRORS[body.error && body.error.code] || "No se pudo responder (error " + response.status + ")."); },
          function () { throw new ServiceError("No se pudo responder (error " + response.status + ")."); }
        );
      },
      function () { throw new ServiceError(UNREACHABLE); }
    );
  }
  var documentsBySource = null; // "corpus/<file>" -> document (id, lines...), fetched once
  function documentFor(source) {
    documentsBySource = documentsBySource || api("/documents").then(function (docs) {
      var map = {};
      docs.forEach(function (doc) { map[doc.source] = doc; });
      return map;
    });
    return documentsBySource.then(function (map) {
      if (!map[source]) throw new ServiceError("No se encontró el informe " + source + ".");
      return map[source];
    });
  }

  // --- figures: numbers of the answer, to highlight them in the cited lines ------
  var NUMBER = /\d{1,3}(?:[ \u00a0\u202f,]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?/g;
  function figuresOf(text) {
    return (text.match(NUMBER) || []).filter(function (figure) {
      var plain = figure.replace(/[^\d.]/g, "");
      return !/^(19|20)\d\d$/.test(plain); // years say when, not how much
    });
  }
  function figurePattern(figures) {
    if (!figures.length) return null;
    var parts = figures.map(function (f) {
      return f.replace(/[.]/g, "\\.").replace(/[ \u00a0\u202f]/g, "[ \\u00a0\\u202f]");
    });
    return new RegExp("(?<![\\d.,])(?:" + parts.join("|") + ")(?![\\d]|[.,]\\d)", "g");
  }
  function highlighted(text, pattern) {
    var fragment = document.createDocumentFragment();
    var last = 0;
    if (pattern) {
      text.replace(pattern, function (match, offset) {
        fragment.appendChild(document.createTextNode(text.slice(last, offset)));
        fragment.appendChild(el("mark", { class: "figure", text: match }));
        last = offset + match.length;
        return match;
      });
    }
    fragment.appendChild(document.createTextNode(text.slice(last)));
    return fragment;
  }

  // --- table rows and year series --------------------------------------------------
  function rowPath(table, index) {
    var labels = [], current = index;
    while (current !== null && current !== undefined) {
      var row = table.row_labels[current];
      labels.unshift(row.label);
      current = row.parent;
    }
    return labels.join(" › ");
  }
  function findRow(table, ref) {
    var match = table.row_labels.filter(function (r) { return rowPath(table, r.index) === ref.row; })[0];
    return match || table.row_labels.filter(function (r) { return ref.row.endsWith(r.label); })[0];
  }
  // Columns whose label holds one year form a series; "Resultado 2019".."Resultado 2024" share the
  // label with the year masked. The series of the cited column wins; a repeated year keeps its first column.
  function yearSeries(table, cells, citedColumn) {
    var groups = {};
    table.column_headers.forEach(function (column) {
      var years = column.label.match(/\b(19|20)\d\d\b/g);
      var cell = cells[column.index];
      if (!years || years.length !== 1 || !cell || cell.value === null) return;
      var key = column.label.replace(years[0], "#");
      groups[key] = groups[key] || { points: [], cited: false, seen: {} };
      if (groups[key].seen[years[0]]) return;
      groups[key].seen[years[0]] = true;
      groups[key].points.push({ year: years[0], value: cell.value, text: cell.text });
      if (column.label === citedColumn) groups[key].cited = true;
    });
    var usable = Object.keys(groups).map(function (k) { return groups[k]; }).filter(function (g) { return g.points.length >= 2; });
    var best = usable.filter(function (g) { return g.cited; })[0] || usable[0];
    return best ? best.points : [];
  }
  function chart(points, label) {
    var bar = 44, gap = 14, height = 130, top = 18, bottom = 22;
    var width = gap + points.length * (bar + gap);
    var max = Math.max.apply(null, points.map(function (p) { return Math.abs(p.value); })) || 1;
    var root = svg("svg", { viewBox: "0 0 " + width + " " + height, width: width, class: "chart", role: "img", "aria-label": "Gráfica por año: " + label });
    points.forEach(function (p, i) {
      var h = ((height - top - bottom) * Math.abs(p.value)) / max;
      var x = gap + i * (bar + gap);
      var y = height - bottom - h;
      root.appendChild(svg("rect", { x: x, y: y, width: bar, height: Math.max(h, 1), class: "bar" }));
      root.appendChild(svg("text", { x: x + bar / 2, y: y - 4, class: "value", "text-anchor": "middle" }, p.text));
      root.appendChild(svg("text", { x: x + bar / 2, y: height - 6, class: "year", "text-anchor": "middle" }, p.year));
    });
    return root;
  }
  function tableBlock(ref) {
    var box = el("div", { class: "table-answer" }, [el("p", { class: "muted", text: "Cargando el cuadro…" })]);
    api("/tables/" + encodeURIComponent(ref.id)).then(function (table) {
      var row = findRow(table, ref);
      if (!row) { box.textContent = ""; return; }
      var cells = {};
      table.cells.forEach(function (c) { if (c.row === row.index) cells[c.column] = c; });
      var head = el("tr", {}, [el("th", { scope: "col", text: "" })]);
      var body = el("tr", {}, [el("th", { scope: "row", text: ref.row })]);
      table.column_headers.forEach(function (column) {
        head.appendChild(el("th", { scope: "col", text: column.label }));
        var cell = cells[column.index];
        body.appendChild(el("td", { class: column.label === ref.column ? "cited" : "", text: cell ? cell.text : "" }));
      });
      var caption = el("caption", { text: table.title + (table.unit ? " (" + table.unit + ")" : "") });
      box.textContent = "";
      box.appendChild(el("div", { class: "table-scroll" }, [el("table", {}, [caption, el("thead", {}, [head]), el("tbody", {}, [body])])]));
      var points = yearSeries(table, cells, ref.column);
      if (points.length >= 2) box.appendChild(chart(points, ref.row));
    }, function (error) { box.textContent = error.message; });
    return box;
  }

  // --- the widget ------------------------------------------------------------------
  function Widget(host, floating) {
    var shadow = host.attachShadow({ mode: "open" });
    shadow.appendChild(el("link", { rel: "stylesheet", href: new URL("widget.css", assets).href }));
    this.root = el("div", { class: "rag" + (floating ? " floating closed" : " inline") });
    shadow.appendChild(this.root);
    this.build(floating);
  }
  Widget.prototype.build = function (floating) {
    var self = this;
    var uid = "rag-" + Math.random().toString(36).slice(2, 8);
    this.log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": "Conversación" });
    this.input = el("textarea", { id: uid + "-q", rows: "2", maxlength: "1000", placeholder: "Escriba su pregunta…", autocomplete: "off" });
    this.send = el("button", { type: "submit", class: "send", text: "Enviar" });
    var form = el("form", { class: "form" }, [el("label", { for: uid + "-q", class: "sr-only", text: "Pregunta" }), this.input, this.send]);
    var header = el("header", { class: "header" }, [el("h2", { id: uid + "-title", text: "Pregunte a los informes de seguridad social" })]);
    this.panel = el("section", { class: "panel", "aria-labelledby": uid + "-title", id: uid + "-panel" }, [header, this.log, form]);
    this.viewer = new Viewer(uid);
    if (floating) {
      this.launcher = el("button", { type: "button", class: "launcher", "aria-expanded": "false", "aria-controls": uid + "-panel", text: "Preguntar" });
      var close = el("button", { type: "button", class: "close", "aria-label": "Cerrar el chat", text: "×" });
      header.appendChild(close);
      this.launcher.addEventListener("click", function () { self.toggle(true); });
      close.addEventListener("click", function () { self.toggle(false); });
      this.root.appendChild(this.launcher);
    }
    this.root.appendChild(this.panel);
    this.root.appendChild(this.viewer.dialog);
    this.greet();
    form.addEventListener("submit", function (event) { event.preventDefault(); self.ask(self.input.value); });
    this.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); self.ask(self.input.value); }
    });
    this.root.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      if (self.viewer.isOpen()) self.viewer.close();
      else if (floating) self.toggle(false);
    });
  };
  Widget.prototype.toggle = function (open) {
    this.root.classList.toggle("closed", !open);
    this.launcher.setAttribute("aria-expanded", String(open));
    (open ? this.input : this.launcher).focus();
  };
  Widget.prototype.greet = function () {
    var self = this;
    var examples = el("ul", { class: "examples" });
    EXAMPLES.forEach(function (q) {
      var button = el("button", { type: "button", class: "example", text: q });
      button.addEventListener("click", function () { self.ask(q); });
      examples.appendChild(el("li", {}, [button]));
    });
    this.log.appendChild(el("div", { class: "message bot intro" }, [
      el("p", { text: "Responde con cifras de los informes oficiales (IMSS, ISSSTE, DIF) y muestra de qué líneas salen. Por ejemplo:" }),
      examples,
    ]));
  };
  Widget.prototype.ask = function (text) {
    var self = this;
    var question = text.trim();
    if (!question || this.busy) return;
    this.busy = true;
    this.send.disabled = true;
    this.input.value = "";
    this.log.appendChild(el("div", { class: "message user" }, [el("p", { text: question })]));
    var pending = el("div", { class: "message bot pending", "aria-busy": "true" }, [el("p", { text: "Buscando en los informes…" })]);
    this.log.appendChild(pending);
    this.scroll();
    api("/ask", { method: "POST", body: JSON.stringify({ question: question }) })
      .then(function (answer) { pending.replaceWith(self.answerBlock(answer)); })
      .catch(function (error) {
        pending.remove();
        var message = error instanceof ServiceError ? error.message : UNREACHABLE;
        self.log.appendChild(el("div", { class: "message bot error", role: "alert" }, [el("p", { text: message })]));
      })
      .then(function () { self.busy = false; self.send.disabled = false; self.scroll(); self.input.focus(); });
  };
  // The answer leads with its figure (answer.figure.text): shown in bold, the rest as plain text.
  function answerText(answer) {
    var text = answer.answer, figure = answer.figure && answer.figure.text;
    if (!figure || text.indexOf(figure) !== 0) return el("p", { class: "text", text: text });
    return el("p", { class: "text" }, [el("strong", { class: "figure", text: figure }), document.createTextNode(text.slice(figure.length))]);
  }

  Widget.prototype.answerBlock = function (answer) {
    var self = this;
    var sources = answer.abstained ? answer.related : answer.citations;
    var block = el("div", { class: "message bot answer" + (answer.abstained ? " abstained" : "") }, [answerText(answer)]);
    answer.citations.forEach(function (c) { if (c.table) block.appendChild(tableBlock(c.table)); });
    if (sources.length) {
      block.appendChild(el("p", { class: "sources-title", text: answer.abstained ? "Fuentes más cercanas:" : "Fuentes:" }));
      var list = el("ol", { class: "sources" });
      var figures = answer.abstained ? [] : figuresOf(answer.answer);
      sources.forEach(function (citation, i) {
        var label = "[" + (i + 1) + "] " + citation.title + " — " + (citation.section || "sin sección") + " · líneas " + citation.lines[0] + "–" + citation.lines[1];
        var button = el("button", { type: "button", class: "source", text: label, "aria-haspopup": "dialog" });
        button.addEventListener("click", function () { self.viewer.open(citation, figures, button); });
        list.appendChild(el("li", {}, [button]));
      });
      block.appendChild(list);
    }
    return block;
  };
  Widget.prototype.scroll = function () { this.log.scrollTop = this.log.scrollHeight; };

  // --- the source viewer: the cited lines with a few lines of context -----------------
  function Viewer(uid) {
    var self = this;
    this.title = el("h3", { id: uid + "-viewer-title" });
    this.where = el("p", { class: "muted" });
    this.body = el("div", { class: "viewer-body", tabindex: "0", "aria-label": "Líneas del informe" });
    this.closeButton = el("button", { type: "button", class: "close", "aria-label": "Cerrar la fuente", text: "×" });
    this.closeButton.addEventListener("click", function () { self.close(); });
    var box = el("div", { class: "viewer-box" }, [el("header", { class: "header" }, [this.title, this.closeButton]), this.where, this.body]);
    this.dialog = el("div", { class: "viewer", role: "dialog", "aria-modal": "true", "aria-labelledby": uid + "-viewer-title", hidden: "" }, [box]);
    this.dialog.addEventListener("click", function (event) { if (event.target === self.dialog) self.close(); });
  }
  Viewer.prototype.isOpen = function () { return !this.dialog.hidden; };
  Viewer.prototype.open = function (citation, figures, opener) {
    var self = this;
    this.opener = opener;
    this.title.textContent = citation.title;
    this.where.textContent = (citation.section || "sin sección") + " · " + citation.source + ", líneas " + citation.lines[0] + "–" + citation.lines[1];
    this.body.textContent = "Cargando…";
    this.dialog.hidden = false;
    this.closeButton.focus();
    documentFor(citation.source).then(function (doc) {
      var start = Math.max(1, citation.lines[0] - CONTEXT_LINES);
      var end = Math.min(doc.lines, citation.lines[1] + CONTEXT_LINES);
      return api("/documents/" + encodeURIComponent(doc.id) + "/lines?start=" + start + "&end=" + end);
    }).then(function (page) {
      var pattern = figurePattern(figures);
      var list = el("ol", { class: "lines", start: String(page.start) });
      page.lines.forEach(function (line) {
        var cited = line.number >= citation.lines[0] && line.number <= citation.lines[1];
        var item = el("li", { class: cited ? "cited" : "", value: String(line.number) });
        item.appendChild(cited ? highlighted(line.text, pattern) : document.createTextNode(line.text));
        list.appendChild(item);
      });
      self.body.textContent = "";
      self.body.appendChild(list);
      var first = list.querySelector(".cited");
      if (first) first.scrollIntoView({ block: "center" });
    }).catch(function (error) {
      self.body.textContent = error instanceof ServiceError ? error.message : UNREACHABLE;
    });
  };
  Viewer.prototype.close = function () {
    this.dialog.hidden = true;
    if (this.opener) this.opener.focus();
  };

  // --- mount ----------------------------------------------------------------------
  function mount() {
    var target = script.dataset.mount ? document.querySelector(script.dataset.mount) : null;
    var host = el("div", { class: "rag-widget-host" });
    if (target) target.appendChild(host);
    else document.body.appendChild(host);
    new Widget(host, !target);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
  else mount();
})();
