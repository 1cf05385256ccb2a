// The schematic map: Fuzhou's districts as the Voronoi cells of their government seats (we ship
// no boundaries and load no tiles), the edge sites, and the nodes coloured by state.
import { svg, num, NODE_STATES } from './format.js';

const W = 1000;
const PAD = 30;

/** Equirectangular projection, scaled by cos(latitude) so distances look right at Fuzhou. */
export function projection(geo) {
  const pts = [...geo.districts, ...geo.sites];
  const lat0 = pts.reduce((s, p) => s + p.lat, 0) / pts.length;
  const k = Math.cos((lat0 * Math.PI) / 180);
  const xs = pts.map((p) => p.lon * k);
  const ys = pts.map((p) => -p.lat);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const scale = (W - 2 * PAD) / (maxX - minX);
  const height = Math.round((maxY - minY) * scale + 2 * PAD);
  return {
    width: W,
    height,
    at: (lat, lon) => [PAD + (lon * k - minX) * scale, PAD + (-lat - minY) * scale],
  };
}

/** Keeps the part of a convex polygon on the side of the bisector nearer to a than to b. */
function clipToward(poly, a, b) {
  const [mx, my] = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
  const [nx, ny] = [b[0] - a[0], b[1] - a[1]];
  const side = (p) => (p[0] - mx) * nx + (p[1] - my) * ny;
  const out = [];
  for (let i = 0; i < poly.length; i++) {
    const p = poly[i];
    const q = poly[(i + 1) % poly.length];
    const sp = side(p);
    const sq = side(q);
    if (sp <= 0) out.push(p);
    if ((sp < 0 && sq > 0) || (sp > 0 && sq < 0)) {
      const t = sp / (sp - sq);
      out.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]);
    }
  }
  return out;
}

function voronoiCells(seeds, width, height) {
  const frame = [[0, 0], [width, 0], [width, height], [0, height]];
  return seeds.map((a, i) => seeds.reduce((poly, b, j) => (i === j ? poly : clipToward(poly, a, b)), frame));
}

/**
 * Nodes sit on a small ring around their site (one node too, up and to the right), so none hides
 * another, the site's own dot stays visible, and a workload's line to its own site has a length.
 */
function spread(index, count, unit) {
  const angle = -Math.PI / 4 + (2 * Math.PI * index) / Math.max(1, count);
  const r = (10 + 2 * Math.max(0, count - 1)) * unit;
  return [r * Math.cos(angle), r * Math.sin(angle)];
}

/** Screen pixels on the map: labels and markers keep their size however wide the map is drawn. */
const LABEL_PX = 13;
const NODE_PX = 6;

const overlaps = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

export function nodeMarker(status, x, y, r = 7) {
  const color = (NODE_STATES[status] ?? NODE_STATES.unknown).color;
  const sw = r / 4.5;
  if (status === 'offline') {
    return svg('g', {}, svg('rect', { x: x - r, y: y - r, width: 2 * r, height: 2 * r, fill: color, stroke: '#fff', 'stroke-width': sw }),
      svg('path', { d: `M${x - r / 2},${y - r / 2}L${x + r / 2},${y + r / 2}M${x + r / 2},${y - r / 2}L${x - r / 2},${y + r / 2}`, stroke: '#fff', 'stroke-width': 1.3 * sw }));
  }
  if (status === 'online') return svg('circle', { cx: x, cy: y, r, fill: color, stroke: '#fff', 'stroke-width': sw });
  const d = 1.15 * r;
  return svg('path', { d: `M${x},${y - d}L${x + d},${y}L${x},${y + d}L${x - d},${y}Z`, fill: color, stroke: '#fff', 'stroke-width': sw });
}

export class FleetMap {
  constructor(root, geo, onSelect) {
    this.root = root;
    this.geo = geo;
    this.onSelect = onSelect;
    this.proj = projection(geo);
    this.sites = new Map(geo.sites.map((s) => [s.id, s]));
    root.setAttribute('viewBox', `0 0 ${this.proj.width} ${this.proj.height}`);
    root.replaceChildren(this.base(), svg('g', { class: 'links' }), svg('g', { class: 'nodes' }), svg('g', { class: 'labels', 'aria-hidden': 'true' }));
    this.last = null;
    // The map's drawn width sets the unit: a resize re-lays out markers and labels.
    new ResizeObserver(() => this.last && this.render(...this.last)).observe(root);
  }

  /** Map units per screen pixel. */
  unit() {
    const w = this.root.getBoundingClientRect().width;
    return w > 0 ? this.proj.width / w : 1;
  }

  /**
   * District names placed where they cover no node, no site and no other name: the first free
   * spot on rings around the district seat, kept inside the frame.
   */
  placeLabels(nodeBoxes, unit) {
    const layer = this.root.querySelector('g.labels');
    layer.replaceChildren();
    const size = LABEL_PX * unit;
    const pad = 2 * unit;
    const obstacles = [...nodeBoxes];
    for (const s of this.geo.sites) {
      const [x, y] = this.proj.at(s.lat, s.lon);
      obstacles.push({ x: x - 4 * unit, y: y - 4 * unit, w: 8 * unit, h: 8 * unit });
    }
    const placed = [];
    const { width, height } = this.proj;
    // Crowded urban districts first: they have the least room.
    const order = this.geo.districts.map((d, i) => i).sort((a, b) => Number(this.geo.districts[b].urban) - Number(this.geo.districts[a].urban));
    for (const i of order) {
      const d = this.geo.districts[i];
      const [sx, sy] = this.seeds[i];
      const text = svg('text', { class: 'district-name', 'font-size': size.toFixed(1), 'stroke-width': (3 * unit).toFixed(1), 'data-district': d.id }, d.name);
      layer.append(text);
      let w;
      try { w = text.getComputedTextLength(); } catch { w = 0; }
      if (!(w > 0)) w = 0.6 * size * d.name.length;
      const h = size;
      let best = null;
      for (let ring = 1; ring <= 8 && !best; ring++) {
        const r = ring * 0.9 * size;
        for (let k = 0; k < 12; k++) {
          const a = -Math.PI / 2 + (k * Math.PI) / 6;
          const cx = Math.min(width - w / 2 - pad, Math.max(w / 2 + pad, sx + r * Math.cos(a)));
          const cy = Math.min(height - pad, Math.max(h + pad, sy + r * Math.sin(a)));
          const box = { x: cx - w / 2 - pad, y: cy - h - pad, w: w + 2 * pad, h: h + 2 * pad };
          if (!obstacles.some((o) => overlaps(o, box)) && !placed.some((o) => overlaps(o, box))) {
            best = { cx, cy, box };
            break;
          }
        }
      }
      const [cx, cy] = best ? [best.cx, best.cy] : [sx, sy - size];
      text.setAttribute('x', cx.toFixed(1));
      text.setAttribute('y', (cy - 0.2 * h).toFixed(1));
      text.setAttribute('text-anchor', 'middle');
      placed.push(best ? best.box : { x: cx - w / 2, y: cy - h, w, h });
    }
  }

  /** Where a workload's latency target is on the map, if it names a place the map knows. */
  targetOf(w) {
    const to = w.spec.latency?.to;
    if (!to) return null;
    const place = this.sites.get(to.site ?? to.landmark);
    if (place) return this.proj.at(place.lat, place.lon);
    return typeof to.lat === 'number' && typeof to.lon === 'number' ? this.proj.at(to.lat, to.lon) : null;
  }

  base() {
    const { at, width, height } = this.proj;
    const seeds = this.geo.districts.map((d) => at(d.lat, d.lon));
    const cells = voronoiCells(seeds, width, height);
    const g = svg('g', { class: 'base', 'aria-hidden': 'true' });
    this.geo.districts.forEach((d, i) => {
      const pts = cells[i].map((p) => p.map((v) => v.toFixed(1)).join(',')).join(' ');
      g.append(svg('polygon', { points: pts, class: d.urban ? 'district urban' : 'district' }));
    });
    for (const s of this.geo.sites) {
      const [x, y] = at(s.lat, s.lon);
      g.append(svg('circle', { cx: x, cy: y, r: s.landmark ? 4 : 2.5, class: s.landmark ? 'site landmark' : 'site' }));
    }
    this.seeds = seeds;
    return g;
  }

  where(node) {
    const loc = node.location;
    if (loc) return this.proj.at(loc.lat, loc.lon);
    const s = this.sites.get(node.site);
    return s ? this.proj.at(s.lat, s.lon) : null;
  }

  render(nodes, workloads) {
    this.last = [nodes, workloads];
    const unit = this.unit();
    const nodeBoxes = [];
    const bySite = new Map();
    for (const n of nodes) bySite.set(n.site, [...(bySite.get(n.site) ?? []), n]);
    const positions = new Map();
    const layer = this.root.querySelector('g.nodes');
    layer.replaceChildren();
    for (const group of bySite.values()) {
      group.forEach((n, i) => {
        const p = this.where(n);
        if (!p) return;
        const [dx, dy] = spread(i, group.length, unit);
        const [x, y] = [p[0] + dx, p[1] + dy];
        positions.set(n.id, [x, y]);
        const label = `${n.id} at ${n.site}: ${n.status}, ${num(n.nominalTflops, 1)} TFLOPS nominal`;
        const g = svg('g', {
          class: `node node-${n.status}`, 'data-node': n.id, 'data-status': n.status,
          tabindex: 0, role: 'button', 'aria-label': label,
          onclick: () => this.onSelect(n.id),
          onkeydown: (e) => (e.key === 'Enter' || e.key === ' ') && this.onSelect(n.id),
        }, svg('title', {}, label), nodeMarker(n.status, x, y, NODE_PX * unit));
        layer.append(g);
        const r = (NODE_PX + 2) * unit;
        nodeBoxes.push({ x: x - r, y: y - r, w: 2 * r, h: 2 * r });
      });
    }
    const links = this.root.querySelector('g.links');
    links.replaceChildren();
    // Every placed workload with an SLO: a line from its node to its target, and a ring on the target.
    for (const w of workloads) {
      const to = this.targetOf(w);
      const at = w.nodeId && positions.get(w.nodeId);
      if (!to || !at || !(w.state === 'placed' || w.state === 'running')) continue;
      const [x1, y1] = to;
      const name = `${w.spec.name} on ${w.nodeId} → its latency target`;
      links.append(svg('g', { class: 'link-group', 'data-workload': w.id },
        svg('line', { x1, y1, x2: at[0], y2: at[1], class: 'link', 'stroke-width': (2 * unit).toFixed(2), 'data-workload': w.id }, svg('title', {}, name)),
        svg('circle', { cx: x1, cy: y1, r: 5 * unit, class: 'target', 'stroke-width': (1.5 * unit).toFixed(2) })));
    }
    this.placeLabels(nodeBoxes, unit);
  }
}
