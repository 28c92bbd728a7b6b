import { html } from './html.ts';
import { page } from './page-layout.ts';

/** The sign-in form; `next` is where to go after (a path of ours only). */
export function loginPage(options: { next: string; error?: string }): string {
  return page(
    'Sign in',
    undefined,
    html`<h2>Sign in</h2>
      ${options.error ? html`<p class="alert" role="alert"><b>${options.error}</b></p>` : ''}
      <form method="post" action="/login">
        <input type="hidden" name="next" value="${options.next}" />
        <p>
          <label>User <input name="username" autocomplete="username" required /></label>
        </p>
        <p>
          <label
            >Password
            <input name="password" type="password" autocomplete="current-password" required
          /></label>
        </p>
        <p><button type="submit">Sign in</button></p>
      </form>`,
  );
}

/** Only a path on this site, so that a crafted link cannot send a user elsewhere after sign-in. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])/.test(next) ? next : '/deliveries';
}
