// The schematic map: Fuzhou's districts as the Voronoi cells of their government seats (we ship
// no boundaries and load no tiles), the edge sites, and the nodes coloured by state.
import { svg, NODE_STATES } from './format.js';

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

/** Several nodes at one site sit on a small ring around it, so none hides another. */
function spread(index, count) {
  if (count <= 1) return [0, 0];
  const angle = (2 * Math.PI * index) / count;
  const r = 7 + count;
  return [r * Math.cos(angle), r * Math.sin(angle)];
}

export function nodeMarker(status, x, y, r = 7) {
  const color = (NODE_STATES[status] ?? NODE_STATES.unknown).color;
  if (status === 'offline') {
    return svg('g', {}, svg('rect', { x: x - r, y: y - r, width: 2 * r, height: 2 * r, fill: color, stroke: '#fff', 'stroke-width': 1.5 }),
      svg('path', { d: `M${x - r / 2},${y - r / 2}L${x + r / 2},${y + r / 2}M${x + r / 2},${y - r / 2}L${x - r / 2},${y + r / 2}`, stroke: '#fff', 'stroke-width': 2 }));
  }
  if (status === 'online') return svg('circle', { cx: x, cy: y, r, fill: color, stroke: '#fff', 'stroke-width': 1.5 });
  return svg('path', { d: `M${x},${y - r - 1}L${x + r + 1},${y}L${x},${y + r + 1}L${x - r - 1},${y}Z`, fill: color, stroke: '#fff', 'stroke-width': 1.5 });
}

export class FleetMap {
  constructor(root, geo, onSelect) {
    this.root = root;
    this.geo = geo;
    this.onSelect = onSelect;
    this.proj = projection(geo);
    this.sites = new Map(geo.sites.map((s) => [s.id, s]));
    root.setAttribute('viewBox', `0 0 ${this.proj.width} ${this.proj.height}`);
    root.replaceChildren(this.base(), svg('g', { class: 'links' }), svg('g', { class: 'nodes' }));
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
    this.geo.districts.forEach((d, i) => {
      const [x, y] = seeds[i];
      g.append(svg('text', { x, y: y - 12, class: 'district-name', 'text-anchor': 'middle' }, d.name));
    });
    return g;
  }

  where(node) {
    const loc = node.location;
    if (loc) return this.proj.at(loc.lat, loc.lon);
    const s = this.sites.get(node.site);
    return s ? this.proj.at(s.lat, s.lon) : null;
  }

  render(nodes, workloads) {
    const bySite = new Map();
    for (const n of nodes) bySite.set(n.site, [...(bySite.get(n.site) ?? []), n]);
    const positions = new Map();
    const layer = this.root.querySelector('g.nodes');
    layer.replaceChildren();
    for (const group of bySite.values()) {
      group.forEach((n, i) => {
        const p = this.where(n);
        if (!p) return;
        const [dx, dy] = spread(i, group.length);
        const [x, y] = [p[0] + dx, p[1] + dy];
        positions.set(n.id, [x, y]);
        const label = `${n.id} at ${n.site}: ${n.status}, ${n.nominalTflops} TFLOPS nominal`;
        const g = svg('g', {
          class: `node node-${n.status}`, 'data-node': n.id, 'data-status': n.status,
          tabindex: 0, role: 'button', 'aria-label': label,
          onclick: () => this.onSelect(n.id),
          onkeydown: (e) => (e.key === 'Enter' || e.key === ' ') && this.onSelect(n.id),
        }, svg('title', {}, label), nodeMarker(n.status, x, y));
        layer.append(g);
      });
    }
    const links = this.root.querySelector('g.links');
    links.replaceChildren();
    for (const w of workloads) {
      const to = w.spec.latency?.to?.site && this.sites.get(w.spec.latency.to.site);
      const at = w.nodeId && positions.get(w.nodeId);
      if (!to || !at || !(w.state === 'placed' || w.state === 'running')) continue;
      const [x1, y1] = this.proj.at(to.lat, to.lon);
      links.append(svg('line', { x1, y1, x2: at[0], y2: at[1], class: 'link', 'data-workload': w.id }, svg('title', {}, `${w.spec.name} → ${w.nodeId}`)));
    }
  }
}
