/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals */
/**
 * Debian's Chromium driven by playwright-core, for the editor suite (editor.suite.ts). Never a
 * browser download: the executable is /usr/bin/chromium (scripts/ci/chromium.sh installs it with
 * apt-get) or $CHROMIUM_PATH. The browser may only talk to loopback: every other request is
 * aborted and recorded, so a page that reaches out to the internet shows up in the report.
 */
import { existsSync } from 'node:fs';

import {
	chromium,
	type Browser,
	type BrowserContext,
	type ConsoleMessage,
	type Page,
} from 'playwright-core';

import { OWNER } from '../../scripts/n8n/harness';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
	if (!existsSync(CHROMIUM_PATH)) {
		throw new Error(
			`${CHROMIUM_PATH} not found: run \`bash scripts/ci/chromium.sh\` (apt-get install chromium) or set CHROMIUM_PATH`,
		);
	}
	return await chromium.launch({
		executablePath: CHROMIUM_PATH,
		headless: true,
		args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
	});
}

/** What the page reported: console errors, uncaught exceptions, failed HTTP responses. */
export interface PageEvent {
	kind: 'console' | 'pageerror' | 'http' | 'blocked';
	text: string;
	/** The resource the event is about (console: the message's source location). */
	url: string;
}

/**
 * Events n8n's editor produces by itself with any community package, each with the reason it is
 * not the package's doing. Anything else counts against the package.
 */
const N8N_OWN_NOISE: Array<{ url?: RegExp; text?: RegExp; why: string }> = [
	{
		url: /\/rest\/ai\/sessions\/metadata$/,
		why: 'AI assistant sessions need an enterprise licence (403)',
	},
	{
		text: /Failed to fetch sessions metadata: ResponseError: Plan lacks license/,
		why: 'same, logged by the editor',
	},
	{
		url: /\/rest\/workflows\/[^/]+\/executions\/last-successful$/,
		why: 'a workflow that never ran has no last execution (404)',
	},
	{
		url: /\/schemas\/[^/]+\/[\d.]+\.json$/,
		why: "n8n looks for an output schema file, which only n8n's own nodes ship (404)",
	},
	{
		url: /\/rest\/external-secrets\/secrets$/,
		why: 'external secrets are an enterprise feature (404 without a licence)',
	},
	{
		url: /\/rest\/(dynamic-)?banners/,
		why: 'banners are fetched from n8n.io (blocked: loopback only)',
	},
	{ text: /Failed to fetch dynamic banners/, why: 'same, logged by the editor' },
];

export function isN8nNoise(e: PageEvent): boolean {
	// The console error of a request we aborted (outside loopback) is recorded as 'blocked' already.
	if (e.kind === 'console' && /^https?:/.test(e.url) && !/^http:\/\/127\.0\.0\.1[:/]/.test(e.url))
		return true;
	return N8N_OWN_NOISE.some(
		(n) => (!n.url || n.url.test(e.url)) && (!n.text || n.text.test(e.text)),
	);
}

export interface EditorSession {
	context: BrowserContext;
	page: Page;
	/** Every event so far; take `events.length` as a mark and slice from it. */
	events: PageEvent[];
	/** Events since `mark` that are not n8n's own noise. */
	problemsSince(mark: number): PageEvent[];
	close(): Promise<void>;
}

/** A logged-in editor tab on a running n8n (the owner set up by setupOwnerAndLogin). */
export async function openEditor(
	browser: Browser,
	baseUrl: string,
	viewport = { width: 1440, height: 900 },
): Promise<EditorSession> {
	const context = await browser.newContext({ viewport, baseURL: baseUrl, deviceScaleFactor: 1 });
	const events: PageEvent[] = [];
	const origin = new URL(baseUrl).origin;
	// Loopback only: n8n's editor asks n8n.io for banners, templates and the like.
	await context.route(
		(url) => !/^(http:\/\/127\.0\.0\.1[:/]|data:|blob:)/.test(url.toString()),
		async (route) => {
			events.push({
				kind: 'blocked',
				text: 'request outside loopback aborted',
				url: route.request().url(),
			});
			await route.abort();
		},
	);
	const page = await context.newPage();
	page.setDefaultTimeout(20_000);
	page.setDefaultNavigationTimeout(90_000); // a full editor load on a busy machine
	page.on('console', (m: ConsoleMessage) => {
		if (m.type() === 'error')
			events.push({ kind: 'console', text: m.text(), url: m.location().url ?? '' });
	});
	page.on('pageerror', (err) =>
		events.push({ kind: 'pageerror', text: `${err.name}: ${err.message}`, url: '' }),
	);
	page.on('response', (r) => {
		if (r.status() >= 400 && r.url().startsWith(origin))
			events.push({ kind: 'http', text: `HTTP ${r.status()}`, url: r.url() });
	});
	// Log in as the browser does: the auth cookie is bound to the tab's browser-id.
	await page.goto('/signin');
	const browserId = (await page.evaluate("localStorage.getItem('n8n-browserId') || ''")) as string;
	const login = await page.request.post('/rest/login', {
		data: { email: OWNER.email, emailOrLdapLoginId: OWNER.email, password: OWNER.password },
		headers: { 'browser-id': browserId },
	});
	if (login.status() !== 200)
		throw new Error(`browser login: HTTP ${login.status()} ${(await login.text()).slice(0, 300)}`);
	events.length = 0; // the signin page's 401 before login is expected
	return {
		context,
		page,
		events,
		problemsSince: (mark) =>
			events.slice(mark).filter((e) => e.kind !== 'blocked' && !isN8nNoise(e)),
		close: async () => {
			await context.close();
		},
	};
}

/**
 * Texts the editor cuts off inside `root` (shown with an ellipsis or clipped): labels, and the
 * values shown in inputs and selects, whose content is wider than their box. Full texts returned.
 */
export async function clippedTexts(
	page: Page,
	rootSelector: string,
	/** Elements measured; anything not an input counts as a label. */
	elements = 'label, label *, input',
): Promise<{ labels: string[]; values: string[] }> {
	// A string, so that the test type-check needs no DOM library.
	return (await page.evaluate(`(() => {
		const root = document.querySelector(${JSON.stringify(rootSelector)});
		const labels = new Set();
		const values = new Set();
		if (!root) return { labels: [], values: [] };
		for (const el of root.querySelectorAll(${JSON.stringify(elements)})) {
			const style = getComputedStyle(el);
			if (style.display === 'none' || style.visibility === 'hidden' || el.offsetParent === null) continue;
			const isInput = el.tagName === 'INPUT';
			const text = isInput ? el.value : (el.innerText || '').trim();
			if (!text) continue;
			if (!isInput && style.overflow === 'visible' && style.textOverflow !== 'ellipsis') continue;
			if (el.scrollWidth > el.clientWidth + 1) (isInput ? values : labels).add(text);
		}
		return { labels: [...labels], values: [...values] };
	})()`)) as { labels: string[]; values: string[] };
}
