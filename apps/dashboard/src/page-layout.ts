import { html, SafeHtml } from './html.ts';
import type { SignedInUser } from './auth.ts';

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
header{display:flex;gap:1.5em;align-items:center;padding:.6em 1.2em;background:#1f2937;color:#fff}
header a{color:#cfe3ff}header form{margin-left:auto}
main{padding:1em 1.2em;max-width:1200px}
h1{font-size:1.1em;margin:0}h2{font-size:1em;margin:1.6em 0 .4em}
table{border-collapse:collapse;background:#fff;width:100%}
th,td{text-align:left;padding:.3em .6em;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{background:#eef0f3;font-weight:600}td.n{font-variant-numeric:tabular-nums}
.none{color:#667}.summary{display:flex;flex-wrap:wrap;gap:1.5em;margin:.4em 0}
.summary b{font-size:1.3em;display:block}.alert b{color:#b42318}
.notice{background:#e6f4ea;border:1px solid #a8d5b5;padding:.5em .8em}
.warning{background:#fef3f2;border:1px solid #fda29b;padding:.5em .8em}
.bar{display:inline-block;height:.7em;background:#3b82f6}.bar.f{background:#dc2626}
button{cursor:pointer}code{font-size:.95em}
`;

/** A page of ours: the header with the user and a sign-out button, then `body`. */
export function page(
  title: string,
  user: SignedInUser | undefined,
  body: SafeHtml,
  options: {
    refreshS?: number;
    /** Where the refresh goes: the page without a notice in its query (a re-drive's). */
    refreshUrl?: string;
  } = {},
): string {
  const refresh = !options.refreshS
    ? undefined
    : `${options.refreshS}${options.refreshUrl ? `;url=${options.refreshUrl}` : ''}`;
  const nav = user
    ? html`<a href="/deliveries">Deliveries</a><a href="/queues">Lanes (Bull Board)</a>
        <form method="post" action="/logout">
          <span>${user.name} (${user.role})</span>
          <input type="hidden" name="_csrf" value="${user.csrfToken}" />
          <button type="submit">Sign out</button>
        </form>`
    : html``;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        ${refresh ? html`<meta http-equiv="refresh" content="${refresh}" />` : ''}
        <title>${title} · commitlog</title>
        <style>
          ${new SafeHtml(STYLE)}
        </style>
      </head>
      <body>
        <header>
          <h1>commitlog</h1>
          ${nav}
        </header>
        <main>${body}</main>
      </body>
    </html>`.text;
}
