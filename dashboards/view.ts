import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ProductId } from '../events/index.ts';
import { dashboards, type DashboardDefinition } from './definitions.ts';
import { panelData, type QuerySource } from './panel-data.ts';
import { mayView, type Viewer, type ViewerTokens } from './viewers.ts';

export interface ViewOptions {
  source: QuerySource;
  viewers: ViewerTokens;
  /** The hospitals of the deployment, which the hospital variable offers. */
  hospitals: string[];
  /** The products the deployment's hospitals contract (default: the whole catalogue). */
  products?: readonly ProductId[];
  /** The URL of a trace with {trace_id}; breaches link to their trace when set. */
  traceUrl?: string | null;
  now?: () => Date;
}

const COOKIE = 'aifi_view';
const RANGES = ['now-7d', 'now-30d', 'now-90d', 'now-180d', 'now-1y'];
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 365 * 86_400_000 };

const require = createRequire(import.meta.url);
const ASSETS: Record<string, { path: string; type: string }> = {
  'uPlot.iife.min.js': { path: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uPlot.min.css': { path: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
  'view.js': { path: new URL('./assets/view.js', import.meta.url).pathname, type: 'text/javascript; charset=utf-8' },
  'view.css': { path: new URL('./assets/view.css', import.meta.url).pathname, type: 'text/css; charset=utf-8' },
};

class ViewError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** A time as Grafana writes it in a URL: now, now-90d (m, h, d, w, y), or an ISO date. */
export function parseTime(text: string, now: Date, name: string): Date {
  if (text === 'now') return now;
  const relative = /^now-(\d{1,5})([mhdwy])$/.exec(text);
  if (relative) return new Date(now.getTime() - Number(relative[1]) * UNIT_MS[relative[2]!]!);
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+Z?)?$/.test(text) && !Number.isNaN(Date.parse(text))) return new Date(text);
  throw new ViewError(400, `${name}: ${JSON.stringify(text)} is not a time (now, now-90d, or a date such as 2026-01-31)`);
}

const listParam = z.union([z.string(), z.array(z.string())]).optional();
const panelQuery = z.strictObject({ from: z.string().optional(), to: z.string().optional(), hospital: listParam, product: listParam });

/** The values of a multi-value variable: repeated or comma-separated; absent means all. */
function values(raw: string | string[] | undefined, allowed: readonly string[], name: string): string[] {
  if (raw === undefined) return [...allowed];
  const chosen = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  const unknown = chosen.filter((v) => !allowed.includes(v));
  if (unknown.length) throw new ViewError(400, `${name}: unknown ${unknown.map((u) => JSON.stringify(u)).join(', ')} (this dashboard has ${allowed.join(', ')})`);
  return chosen.length ? chosen : [...allowed];
}

/**
 * The sign-in cookie's attributes: Secure when the request came over TLS, to
 * this process or to a proxy it trusts (AIFI_TRUST_PROXY, whose
 * X-Forwarded-Proto fastify then honours in `request.protocol`).
 */
function cookieAttributes(request: FastifyRequest): string {
  return `Path=/view; HttpOnly; SameSite=Strict${request.protocol === 'https' ? '; Secure' : ''}`;
}

function cookieToken(request: FastifyRequest): string | undefined {
  for (const part of String(request.headers.cookie ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === COOKIE) {
      try {
        return decodeURIComponent(rest.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string, viewer?: Viewer): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} · AIFI Observe</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/view/assets/uPlot.min.css"><link rel="stylesheet" href="/view/assets/view.css"></head>
<body><header><a href="/view/">AIFI Observe</a><span class="title">${escape(title)}</span>${viewer ? `<span class="who">${escape(viewer.name)} (${escape(viewer.audience)}) · <a href="/view/logout">sign out</a></span>` : ''}</header>
<main>${body}</main></body></html>`;
}

function signInPage(message: string): string {
  return page(
    'Sign in',
    `<p class="message">${escape(message)}</p>
<form method="get" class="sign-in"><label>Viewer token <input name="token" type="password" autocomplete="current-password" required></label><button>Open</button></form>
<p class="hint">The tokens are in the viewer tokens file (by default <code>.aifi/viewers.json</code>, made on the first start of <code>aifi up</code>).</p>`,
  );
}

function dashboardPage(d: DashboardDefinition, viewer: Viewer, query: Record<string, string | string[] | undefined>): string {
  const from = typeof query.from === 'string' ? query.from : 'now-90d';
  const chosen = (name: string, all: readonly string[]) => {
    const raw = query[name];
    const list = raw === undefined ? [...all] : (Array.isArray(raw) ? raw : [raw]).flatMap((v) => v.split(','));
    return new Set(list);
  };
  const checkboxes = (name: string, all: readonly string[]) => {
    const on = chosen(name, all);
    return all.map((v) => `<label><input type="checkbox" name="${name}" value="${escape(v)}"${on.has(v) ? ' checked' : ''}>${escape(v)}</label>`).join('');
  };
  const hospitals = chosen('hospital', d.hospitals);
  const network = new URLSearchParams(Object.entries(query).flatMap(([k, v]) => (k === 'hospital' || v === undefined ? [] : (Array.isArray(v) ? v : [v]).map((x) => [k, x]))));
  const scope =
    hospitals.size < d.hospitals.length
      ? `<p class="scope">${escape([...hospitals].join(', '))} (${hospitals.size} of ${d.hospitals.length} hospitals) · <a class="network" href="?${escape(network.toString())}">the whole network</a></p>`
      : `<p class="scope">The whole network (${d.hospitals.length} hospitals); a hospital in a table drills down to it</p>`;
  const ranges = [...new Set([...RANGES, from])].map((r) => `<option${r === from ? ' selected' : ''}>${escape(r)}</option>`).join('');
  const panels = d.panels
    .map(
      (p, i) => `<section class="panel ${p.kind}" data-index="${i}" data-kind="${p.kind}" data-state="loading">
<h2 title="${escape(p.description)}">${escape(p.title)}</h2><p class="description">${escape(p.description)}</p><div class="body"><p class="loading">loading…</p></div></section>`,
    )
    .join('\n');
  return page(
    d.title,
    `<form method="get" class="variables">
<label>Time range <select name="from">${ranges}</select></label>
<fieldset><legend>Hospital</legend>${checkboxes('hospital', d.hospitals)}</fieldset>
<fieldset><legend>Product</legend>${checkboxes('product', d.products)}</fieldset>
<button>Apply</button></form>
${scope}
<div class="panels" id="panels" data-uid="${escape(d.uid)}">${panels}</div>
<script src="/view/assets/uPlot.iife.min.js"></script><script src="/view/assets/view.js"></script>`,
    viewer,
  );
}

/**
 * The built-in view: the ClickHouse dashboards as web pages, each panel's SQL
 * run through the store as the Grafana plugin would run it. Every request
 * carries a viewer token (Authorization: Bearer, or the cookie set when a page
 * is opened with ?token=); a viewer sees only the dashboards of its audience,
 * and a vendor's token gets 403 for another vendor's dashboard or its data.
 */
export async function viewRoutes(app: FastifyInstance, options: ViewOptions): Promise<void> {
  const all = dashboards({ hospitals: options.hospitals, products: options.products, traceUrl: options.traceUrl ?? null }).filter((d) => d.panels.length > 0);
  const byUid = new Map(all.map((d) => [d.uid, d]));
  const now = options.now ?? (() => new Date());

  const viewerOf = (request: FastifyRequest): Viewer | undefined => {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
    return options.viewers.resolve(bearer ?? cookieToken(request));
  };

  /** For a page: signs in with ?token= (then drops it from the address), or asks for a token. */
  const pageViewer = (request: FastifyRequest, reply: FastifyReply): Viewer | null => {
    const url = new URL(request.url, 'http://view');
    const token = url.searchParams.get('token');
    if (token !== null) {
      if (!options.viewers.resolve(token)) {
        void reply.code(401).type('text/html; charset=utf-8').send(signInPage('This token is not known.'));
        return null;
      }
      url.searchParams.delete('token');
      void reply
        .header('set-cookie', `${COOKIE}=${encodeURIComponent(token)}; ${cookieAttributes(request)}`)
        .redirect(`${url.pathname}${url.search}`, 303);
      return null;
    }
    const viewer = viewerOf(request);
    if (!viewer) void reply.code(401).type('text/html; charset=utf-8').send(signInPage('Open the dashboards with your viewer token.'));
    return viewer ?? null;
  };

  const dashboardFor = (uid: string, viewer: Viewer): DashboardDefinition => {
    const d = byUid.get(uid);
    if (!d) throw new ViewError(404, `no dashboard ${JSON.stringify(uid)}`);
    if (!mayView(viewer, d.audience)) throw new ViewError(403, `the dashboard ${uid} is for ${d.audience}; this token is for ${viewer.audience}`);
    return d;
  };

  // A ViewError carries its status and says what is wrong; anything else goes to the app's error handler.
  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof ViewError) return reply.code(error.statusCode).send({ error: error.message });
    throw error;
  });

  app.addHook('onSend', async (request, reply) => {
    if (request.url.startsWith('/view')) {
      reply.header('content-security-policy', "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'");
      reply.header('x-content-type-options', 'nosniff');
      reply.header('cache-control', request.url.startsWith('/view/assets/') ? 'public, max-age=3600' : 'no-store');
    }
  });

  app.get('/view', async (_request, reply) => reply.redirect('/view/', 302));

  app.get('/view/', async (request, reply) => {
    const viewer = pageViewer(request, reply);
    if (!viewer) return reply;
    const mine = all.filter((d) => mayView(viewer, d.audience));
    const items = mine.map((d) => `<li><a href="/view/d/${escape(d.uid)}">${escape(d.title)}</a> <span class="audience">${escape(d.audience)}</span></li>`).join('');
    const platform = mayView(viewer, 'ops')
      ? '<p class="hint">Platform health (ingest, rejections, consumer lag) is a Prometheus dashboard for Grafana; this process exposes its figures at /metrics to a scraper with the scrape token (see the README).</p>'
      : '';
    return reply.type('text/html; charset=utf-8').send(page('Dashboards', `<ul class="dashboards">${items}</ul>${platform}`, viewer));
  });

  app.get<{ Params: { uid: string } }>('/view/d/:uid', async (request, reply) => {
    const viewer = pageViewer(request, reply);
    if (!viewer) return reply;
    try {
      const d = dashboardFor(request.params.uid, viewer);
      return reply.type('text/html; charset=utf-8').send(dashboardPage(d, viewer, request.query as Record<string, string | string[] | undefined>));
    } catch (error) {
      if (!(error instanceof ViewError)) throw error;
      return reply.code(error.statusCode).type('text/html; charset=utf-8').send(page(error.statusCode === 403 ? 'Not yours to see' : 'Not found', `<p class="message">${escape(error.message)}</p><p><a href="/view/">Your dashboards</a></p>`, viewer));
    }
  });

  app.get<{ Params: { uid: string; index: string } }>('/view/api/d/:uid/panels/:index', async (request) => {
    const viewer = viewerOf(request);
    if (!viewer) throw new ViewError(401, 'a viewer token is required (Authorization: Bearer <token>)');
    const d = dashboardFor(request.params.uid, viewer);
    const spec = /^\d+$/.test(request.params.index) ? d.panels[Number(request.params.index)] : undefined;
    if (!spec) throw new ViewError(404, `the dashboard ${d.uid} has no panel ${JSON.stringify(request.params.index)} (it has ${d.panels.length})`);
    const parsed = panelQuery.safeParse(request.query);
    if (!parsed.success) throw new ViewError(400, parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; '));
    const q = parsed.data;
    const at = now();
    const from = parseTime(q.from ?? 'now-90d', at, 'from');
    const to = parseTime(q.to ?? 'now', at, 'to');
    if (from >= to) throw new ViewError(400, `from (${from.toISOString()}) must be before to (${to.toISOString()})`);
    const query = { from, to, hospitals: values(q.hospital, d.hospitals, 'hospital'), products: values(q.product, d.products, 'product') };
    return { title: spec.title, ...(await panelData(options.source, spec, query, options.traceUrl ?? null)) };
  });

  app.get('/view/logout', async (request, reply) =>
    reply.header('set-cookie', `${COOKIE}=; ${cookieAttributes(request)}; Max-Age=0`).type('text/html; charset=utf-8').send(signInPage('Signed out.')),
  );

  const assets = new Map(Object.entries(ASSETS).map(([name, a]) => [name, { body: readFileSync(a.path), type: a.type }]));
  app.get<{ Params: { name: string } }>('/view/assets/:name', async (request, reply) => {
    const asset = assets.get(request.params.name);
    if (!asset) return reply.code(404).send({ error: `no asset ${JSON.stringify(request.params.name)}` });
    return reply.type(asset.type).send(asset.body);
  });
}
