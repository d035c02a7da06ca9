/* netdsl's interactive diagram. The page carries the diagram model as JSON (netdsl/drawing.py); this script
   cuts it where groups are collapsed (the twin of netdsl/view.py's `cut`, with repeats framed), lays the cut
   out with ELK (vendored elkjs) and draws it as SVG. Spec text only ever reaches the page as textContent. */
"use strict";
(() => {
  const SVG = "http://www.w3.org/2000/svg";
  const data = JSON.parse(document.getElementById("netdsl-data").textContent);
  const diagram = data.diagram;
  const groups = new Map(diagram.groups.map((g) => [g.id, g]));
  const nodes = new Map(diagram.nodes.map((n) => [n.id, n]));
  const hidden = new Set(data.collapsed);
  const elk = new ELK();
  const $ = (id) => document.getElementById(id);
  const svg = $("canvas");
  const viewport = $("viewport");
  const FONT = "Helvetica, Arial, sans-serif";
  const TITLE = 30; // room for a cluster's title
  let view = null;
  let selected = null;
  let pinned = false;
  let matches = [];
  let named = [];
  let matchIndex = -1;
  let camera = { x: 20, y: 20, k: 1 };

  // ------------------------------------------------------------------ the cut

  function ancestors(parent) {
    const chain = [];
    for (let at = parent; at != null; at = groups.get(at).parent) chain.unshift(at);
    return chain;
  }

  function sideOf(sides) {
    if (sides.size === 1 && sides.has(null)) return null;
    if (sides.has("decoder") && sides.size > 1) return null;
    return sides.has("bottom") ? "bottom" : [...sides][0];
  }

  const SEVERITY = { ok: 0, unchecked: 1, error: 2 };

  function cut(closed) {
    const shown = new Map();
    const boxes = new Map();
    const sides = new Map();
    for (const node of diagram.nodes) {
      const group = ancestors(node.parent).find((g) => closed.has(g));
      const id = group ?? node.id;
      shown.set(node.id, id);
      if (!sides.has(id)) sides.set(id, new Set());
      sides.get(id).add(node.side);
      if (!boxes.has(id)) {
        const item = group ? groups.get(group) : node;
        boxes.set(id, { id, item, collapsed: !!group, parent: item.parent });
      }
    }
    for (const [id, box] of boxes) box.side = sideOf(sides.get(id));
    const order = []; // clusters in the order their first box appears: the source order
    for (const box of boxes.values()) for (const g of ancestors(box.parent)) if (!order.includes(g)) order.push(g);
    const merged = new Map();
    for (const edge of diagram.edges) {
      const source = shown.get(edge.source);
      const target = shown.get(edge.target);
      if (source === target) continue;
      const group = groups.get(target);
      const operand = target === edge.target ? edge.operand
        : group && group.inputs.length ? (edge.entries[target] ?? null) : null;
      const key = JSON.stringify([source, target, edge.source, operand]);
      const link = merged.get(key);
      if (link) {
        link.skip = link.skip && edge.skip;
        if (SEVERITY[edge.status] > SEVERITY[link.status]) link.status = edge.status;
      } else {
        merged.set(key, { source, target, value: edge.source, shape: edge.shape, tensor: edge.tensor, operand,
                          skip: edge.skip, status: edge.status, rising: false });
      }
    }
    const links = [...merged.values()];
    const uShaped = diagram.pairs.length > 0 && [...boxes.values()].every((b) => b.side !== null);
    for (const link of uShaped ? links : []) {
      const tail = boxes.get(link.source).side;
      link.rising = boxes.get(link.target).side === "decoder" && (tail === "decoder" || tail === "bottom");
    }
    return { boxes: [...boxes.values()], clusters: order.map((g) => groups.get(g)), links };
  }

  // ------------------------------------------------------------------ layout

  const ruler = document.createElement("canvas").getContext("2d");
  function width(text, size, bold) {
    ruler.font = `${bold ? "bold " : ""}${size}px ${FONT}`;
    return ruler.measureText(text).width;
  }

  const count = (n) => `${n.toLocaleString("en-US")} param${n === 1 ? "" : "s"}`;

  function detailLine(box) {
    const item = box.item;
    const params = item.details.params;
    if (item.role === "repeat") {
      const each = new Set(item.details.per_copy).size === 1;
      const copies = `${item.count} copies${item.alike ? "" : ", the first shown"}`;
      const per = each ? `${count(params / item.count)} each` : count(params);
      return `${item.name} · ${copies}${params ? ` · ${per}` : ""}`;
    }
    return item.name + (params ? ` · ${count(params)}` : "");
  }

  function lines(box) {
    const item = box.item;
    if (item.role === "input" || item.role === "output") return [item.name];
    const out = [item.label, detailLine(box)];
    if (item.details.error) out.push(item.details.error.length > 60 ? item.details.error.slice(0, 57) + "…" : item.details.error);
    return out;
  }

  function edgeText(link) {
    const text = link.tensor ? `${link.tensor}: ${link.shape}` : link.shape;
    return link.operand ? `${link.operand} · ${text}` : text;
  }

  function clusterTitle(group) {
    return group.role === "repeat" ? group.label : `${group.name} · ${group.label}`;
  }

  function elkGraph(cutView) {
    const children = new Map([["", []]]);
    const placed = new Set();
    for (const box of cutView.boxes) {
      let parent = "";
      for (const g of ancestors(box.parent)) {
        if (!placed.has(g)) {
          placed.add(g);
          const group = groups.get(g);
          const title = Math.max(width(clusterTitle(group), 11, true), width(count(group.details.params), 10)) + 48;
          const node = { id: g, children: [], layoutOptions: {
            "elk.padding": `[top=${TITLE + 8},left=12,bottom=12,right=12]`,
            "elk.nodeSize.constraints": "MINIMUM_SIZE", "elk.nodeSize.minimum": `(${title}, 40)` } };
          children.get(parent).push(node);
          children.set(g, node.children);
        }
        parent = g;
      }
      const text = lines(box);
      const w = Math.max(...text.map((t, i) => width(t, i ? 10 : 12))) + 24;
      children.get(parent).push({ id: box.id, width: Math.max(w, 50), height: 12 + 15 * text.length });
    }
    const edges = cutView.links.map((link, i) => ({
      id: `e${i}`, sources: [link.rising ? link.target : link.source], targets: [link.rising ? link.source : link.target],
      labels: [{ text: edgeText(link), width: width(edgeText(link), 10) + 6, height: 13 }] }));
    return { id: "root", children: children.get(""), edges, layoutOptions: {
      "elk.algorithm": "layered", "elk.hierarchyHandling": "INCLUDE_CHILDREN",
      "elk.direction": data.rankdir === "LR" ? "RIGHT" : "DOWN", "elk.edgeRouting": "ORTHOGONAL",
      "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
      "elk.layered.spacing.nodeNodeBetweenLayers": "28", "elk.spacing.nodeNode": "22",
      "elk.spacing.edgeLabel": "3", "elk.edgeLabels.placement": "CENTER",
      "elk.json.edgeCoords": "ROOT", "elk.json.shapeCoords": "ROOT" } };
  }

  // ------------------------------------------------------------------ drawing

  function el(name, attrs, parent) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (parent) parent.appendChild(node);
    return node;
  }

  function text(parent, x, y, content, cls) {
    const node = el("text", { x, y, class: cls }, parent);
    node.textContent = content;
    return node;
  }

  const FILLS = data.fills;
  function fillOf(box) {
    const role = box.item.role;
    if (FILLS[role]) return FILLS[role];
    return box.item.details.params || box.item.details.frozen ? FILLS.weights : FILLS.plain;
  }

  function draw(cutView, laid) {
    viewport.replaceChildren();
    const layers = ["clusters", "edges", "boxes", "titles"].map((name) => el("g", { class: name }, viewport));
    const byId = new Map(cutView.boxes.map((b) => [b.id, b]));
    const visit = (node, depth) => {
      for (const child of node.children || []) {
        if (groups.has(child.id) && !byId.has(child.id)) drawCluster(layers, groups.get(child.id), child, depth);
        else drawBox(layers[2], byId.get(child.id), child);
        visit(child, depth + 1);
      }
    };
    visit(laid, 0);
    laid.edges.forEach((edge, i) => drawEdge(layers[1], cutView.links[i], edge));
    const box = viewport.getBBox();
    svg.dataset.width = String(Math.round(box.width));
    svg.dataset.height = String(Math.round(box.height));
  }

  function drawCluster(layers, group, at, depth) {
    const frame = el("g", { class: `cluster role-${group.role} status-${group.status}`, "data-id": group.id }, layers[0]);
    el("rect", { x: at.x, y: at.y, width: at.width, height: at.height, rx: 8, class: `depth-${Math.min(depth, 2)}` }, frame);
    const title = el("g", { class: "title", "data-id": group.id }, layers[3]);
    const toggle = text(title, at.x + 8, at.y + 16, "⊟", "toggle");
    toggle.dataset.id = group.id;
    text(title, at.x + 24, at.y + 16, clusterTitle(group), "name");
    text(title, at.x + 24, at.y + 29, count(group.details.params), "params");
    const back = el("rect", { class: "title-back" }, null);
    title.insertBefore(back, title.firstChild);
    const b = title.getBBox();
    for (const [key, value] of Object.entries({ x: b.x - 3, y: b.y - 1, width: b.width + 6, height: b.height + 2, rx: 3 })) back.setAttribute(key, value);
    hover(title, group);
    hover(frame, group);
  }

  function drawBox(layer, box, at) {
    const item = box.item;
    const g = el("g", { class: `box role-${item.role} status-${item.status}${box.collapsed ? " collapsed" : ""}`,
                        "data-id": box.id, transform: `translate(${at.x},${at.y})` }, layer);
    if (box.collapsed) el("rect", { x: 4, y: -4, width: at.width, height: at.height, rx: 4, class: "stack", fill: fillOf(box) }, g);
    const round = item.role === "input" || item.role === "output" ? at.height / 2 : 6;
    el("rect", { width: at.width, height: at.height, rx: round, fill: fillOf(box), class: "shape" }, g);
    lines(box).forEach((line, i) => text(g, at.width / 2, 19 + 15 * i, line, i === 0 ? "label" : i === 1 ? "detail" : "error"));
    if (box.collapsed) {
      const toggle = text(g, at.width - 4, 12, "⊞", "toggle");
      toggle.dataset.id = box.id;
    }
    hover(g, item);
  }

  function drawEdge(layer, link, edge) {
    const section = edge.sections && edge.sections[0];
    if (!section) return;
    let points = [section.startPoint, ...(section.bendPoints || []), section.endPoint];
    if (link.rising) points = points.reverse();
    const g = el("g", { class: `edge status-${link.status}${link.skip ? " skip" : ""}`, "data-source": link.source,
                        "data-target": link.target, "data-tensor": link.tensor ?? "" }, layer);
    el("path", { d: "M" + points.map((p) => `${p.x},${p.y}`).join("L"), "marker-end": `url(#arrow-${link.status === "error" ? "error" : link.skip ? "skip" : "main"})` }, g);
    const label = edge.labels && edge.labels[0];
    if (label) text(g, label.x + label.width / 2, label.y + 10, edgeText(link), "edge-label");
  }

  // ------------------------------------------------------------------ details, hover and selection

  function row(list, name, value, cls) {
    if (value == null || value === "" || (Array.isArray(value) && !value.length)) return;
    const dt = document.createElement("dt");
    dt.textContent = name;
    const dd = document.createElement("dd");
    const inner = document.createElement(cls === "pre" ? "pre" : cls === "code" ? "code" : "span");
    inner.textContent = Array.isArray(value) ? value.join(", ") : String(value);
    dd.appendChild(inner);
    list.append(dt, dd);
  }

  function show(item) {
    const d = item.details;
    $("details-title").textContent = item.label ?? item.name;
    $("details-name").textContent = item.id ?? item.name;
    const list = $("details-list");
    list.replaceChildren();
    row(list, "Kind", d.kind);
    row(list, "PyTorch", d.pytorch, "code");
    row(list, "Input shapes", d.inputs);
    row(list, "Output shape", item.role === "output" ? null : d.output);
    row(list, "Parameters", d.params || d.frozen ? `${d.params.toLocaleString("en-US")} trainable` +
        (d.frozen ? `, ${d.frozen.toLocaleString("en-US")} frozen` : "") : null);
    row(list, "Per copy", d.per_copy.length ? d.per_copy.map((n) => n.toLocaleString("en-US")) : null);
    row(list, "Buffers", d.buffers ? d.buffers.toLocaleString("en-US") : null);
    row(list, "MACs", d.macs === "0" ? null : d.macs);
    row(list, "Spec", d.where);
    row(list, "", d.line, "code");
    row(list, "Error", d.diagnostic || d.error, "pre");
    $("details").hidden = false;
  }

  function hover(element, item) {
    element.addEventListener("mouseenter", () => { if (!pinned) show(item); });
    element.addEventListener("click", (event) => {
      if (event.target.classList.contains("toggle")) return;
      select(item.id ?? null, item);
      event.stopPropagation();
    });
    element.addEventListener("dblclick", (event) => {
      if (groups.has(item.id)) { toggle(item.id); event.stopPropagation(); }
    });
  }

  function select(id, item) {
    selected = id;
    pinned = true;
    show(item);
    for (const node of viewport.querySelectorAll(".selected")) node.classList.remove("selected");
    for (const node of viewport.querySelectorAll(`[data-id="${CSS.escape(id)}"]`)) node.classList.add("selected");
  }

  // ------------------------------------------------------------------ opening and closing, search

  let layouts = 0;
  async function update(keep) {
    const before = keep && screenPosition(keep);
    view = cut(hidden);
    const laid = await elk.layout(elkGraph(view));
    draw(view, laid);
    if (before) {
      const after = screenPosition(keep);
      if (after) { camera.x += before.x - after.x; camera.y += before.y - after.y; }
    }
    applyCamera();
    if (selected) select(selected, itemOf(selected));
    mark();
    layouts += 1;
    document.documentElement.dataset.layouts = String(layouts);
  }

  function itemOf(id) { return nodes.get(id) ?? groups.get(id); }

  function screenPosition(id) {
    const node = viewport.querySelector(`[data-id="${CSS.escape(id)}"]`);
    if (!node) return null;
    const r = node.getBoundingClientRect();
    return { x: r.x, y: r.y };
  }

  function visibleBox(id) { // the box a leaf or group is drawn in, now
    const closed = ancestors(itemOf(id).parent).find((g) => hidden.has(g));
    return closed ?? id;
  }

  function toggle(id) {
    if (hidden.has(id)) hidden.delete(id); else hidden.add(id);
    return update(id);
  }

  function reveal(id) { // open every group around id
    for (const g of ancestors(itemOf(id).parent)) hidden.delete(g);
  }

  function find(query) { // what matches, marked where it is drawn now
    const q = query.trim().toLowerCase();
    matches = [];
    named = [];
    if (q) {
      const tensors = new Set(diagram.edges.filter((e) => e.tensor && e.tensor.toLowerCase().includes(q)).map((e) => e.source));
      for (const item of [...diagram.nodes, ...diagram.groups]) {
        const byName = [item.id, item.name, item.label].some((s) => s.toLowerCase().includes(q));
        if (byName || tensors.has(item.id)) matches.push(item.id);
        if (byName && nodes.has(item.id)) named.push(item.id);
      }
    }
    matchIndex = -1;
    $("matches").textContent = q ? `${matches.length} found` : "";
    mark();
  }

  function next() { // Enter: open the blocks that hide the layers found (a tensor is found where it is drawn)
    if (!matches.length) return Promise.resolve();
    const closed = named.filter((id) => visibleBox(id) !== id);
    for (const id of closed) reveal(id);
    matchIndex = (matchIndex + 1) % matches.length;
    return (closed.length ? update() : Promise.resolve()).then(() => focus(matches[matchIndex]));
  }

  function mark() {
    const found = new Set(matches.map(visibleBox));
    for (const node of viewport.querySelectorAll("[data-id]")) node.classList.toggle("match", found.has(node.dataset.id));
    const q = $("search").value.trim().toLowerCase();
    for (const edge of viewport.querySelectorAll(".edge")) {
      edge.classList.toggle("match", !!q && edge.dataset.tensor.toLowerCase().includes(q));
    }
  }

  function focus(id) {
    const node = viewport.querySelector(`.box[data-id="${CSS.escape(visibleBox(id))}"]`);
    if (!node) return;
    const r = node.getBoundingClientRect();
    const area = svg.getBoundingClientRect();
    camera.x += area.x + area.width / 2 - (r.x + r.width / 2);
    camera.y += area.y + area.height / 2 - (r.y + r.height / 2);
    applyCamera();
    select(id, itemOf(id));
  }

  // ------------------------------------------------------------------ pan and zoom

  function applyCamera() { viewport.setAttribute("transform", `translate(${camera.x},${camera.y}) scale(${camera.k})`); }

  function fit(readable) { // all of it; or, when that would be too small to read, its top at full width
    const box = viewport.getBBox();
    const area = svg.getBoundingClientRect();
    if (!box.width || !area.width) return;
    camera.k = Math.min(1.5, (area.width - 40) / box.width, (area.height - 40) / box.height);
    if (readable === true && camera.k < 0.6) camera.k = Math.min(1, (area.width - 40) / box.width);
    camera.x = (area.width - box.width * camera.k) / 2 - box.x * camera.k;
    camera.y = 20 - box.y * camera.k;
    applyCamera();
  }

  function zoom(factor, cx, cy) {
    const k = Math.min(4, Math.max(0.05, camera.k * factor));
    camera.x = cx - (cx - camera.x) * (k / camera.k);
    camera.y = cy - (cy - camera.y) * (k / camera.k);
    camera.k = k;
    applyCamera();
  }

  svg.addEventListener("wheel", (event) => {
    event.preventDefault();
    const area = svg.getBoundingClientRect();
    zoom(Math.exp(-event.deltaY * 0.0015), event.clientX - area.x, event.clientY - area.y);
  }, { passive: false });
  let drag = null;
  svg.addEventListener("pointerdown", (event) => { drag = { x: event.clientX, y: event.clientY, moved: false }; });
  window.addEventListener("pointermove", (event) => {
    if (!drag) return;
    camera.x += event.clientX - drag.x;
    camera.y += event.clientY - drag.y;
    drag.moved ||= Math.abs(event.clientX - drag.x) + Math.abs(event.clientY - drag.y) > 2;
    drag.x = event.clientX;
    drag.y = event.clientY;
    applyCamera();
  });
  window.addEventListener("pointerup", () => { drag = null; });
  svg.addEventListener("click", (event) => {
    const target = event.target;
    if (target.classList.contains("toggle")) { toggle(target.dataset.id); return; }
    if (target === svg) { pinned = false; selected = null; $("details").hidden = true; mark(); }
  });

  // ------------------------------------------------------------------ the page's controls

  $("search").addEventListener("keydown", (event) => { if (event.key === "Enter") next(); });
  $("search").addEventListener("input", (event) => find(event.target.value));
  $("fit").addEventListener("click", fit);
  $("zoom-in").addEventListener("click", () => zoom(1.25, svg.clientWidth / 2, svg.clientHeight / 2));
  $("zoom-out").addEventListener("click", () => zoom(0.8, svg.clientWidth / 2, svg.clientHeight / 2));
  $("open-all").addEventListener("click", () => { hidden.clear(); update().then(fit); });
  $("close-all").addEventListener("click", () => {
    for (const g of diagram.groups) if (g.level === 0) hidden.add(g.id);
    update().then(fit);
  });
  $("close-details").addEventListener("click", () => { pinned = false; selected = null; $("details").hidden = true; mark(); });
  const failing = diagram.nodes.filter((n) => n.status === "error");
  if (failing.length) {
    $("errors").hidden = false;
    $("errors-text").textContent = diagram.diagnostics.length
      ? diagram.diagnostics[0].split("\n")[0] + (diagram.diagnostics.length > 1 ? ` (and ${diagram.diagnostics.length - 1} more)` : "")
      : failing[0].details.error;
    $("errors").addEventListener("click", () => { reveal(failing[0].id); update().then(() => focus(failing[0].id)); });
  }

  window.netdsl = {
    cut: (closed) => { const v = cut(new Set(closed)); return { boxes: v.boxes.map((b) => b.id), links: v.links.map((l) => [l.source, l.target, l.skip]) }; },
    toggle, find, next, hidden: () => [...hidden],
  };
  update().then(() => {
    fit(true);
    if (failing.length) select(visibleBox(failing[0].id), itemOf(visibleBox(failing[0].id)));
  }).catch((error) => { console.error(error); $("errors").hidden = false; $("errors-text").textContent = `layout failed: ${error}`; });
})();
