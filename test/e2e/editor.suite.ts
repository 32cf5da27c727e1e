/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-hardcoded-secrets, no-console */
/**
 * The package as a user sees it: n8n's real editor (each pinned line) in Debian's headless Chromium,
 * with the packed package installed and the emulator on loopback.
 * - every operation's panel of the action node (each resource × operation) and both triggers' panels
 *   open and show the chosen resource/operation, with no console error, uncaught exception or failed
 *   request the package causes (n8n's own noise is listed with reasons in browser.ts);
 * - every "From list" picker (resource locator with a listSearch method) fills from the emulator;
 * - the credential form's test: the success banner for a good app, our texts for a wrong secret and
 *   for an app without permissions;
 * - the trigger's "Fetch Test Event" returns the emulator's alerts.
 * Texts the editor cuts off (labels, chosen values) are collected and printed per panel; labels must
 * not be cut.
 * E2E_SCREENSHOTS=<folder> writes the README screenshots (canvas, one operation panel, credential
 * form) there, taken on n8n 2.x (E2E_SCREENSHOTS_LINE=1 for 1.x); otherwise they go to a temporary
 * folder per line. One file per n8n line (editor.n8n1/2.e2e.test.ts) so jest runs the lines side by side.
 */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { INodePropertyOptions } from 'n8n-workflow';
import type { Browser } from 'playwright-core';

import { nodeProperties } from '../../nodes/MicrosoftDefender/actions/node.description';
import { emulatorCredentials } from '../harness';
import { startEmulator, type EmulatorHandle } from '../emulator';
import {
	createUserFolder,
	importCredentials,
	importWorkflows,
	installPackageTarball,
	setupOwnerAndLogin,
	startN8n,
	type N8nFolder,
	type N8nLine,
	type RunningN8n,
} from '../../scripts/n8n/harness';
import {
	clippedTexts,
	launchChromium,
	openEditor,
	type EditorSession,
	type PageEvent,
} from './browser';
import { e2eLines } from './global-setup';

const PKG = 'n8n-nodes-microsoft-defender';
const CRED_TYPE = 'microsoftDefenderEntraAppApi';
const CRED = {
	good: 'e2eEdCredGood001',
	badSecret: 'e2eEdCredBadSec1',
	noRoles: 'e2eEdCredNoRole1',
};
const CRED_REF = { [CRED_TYPE]: { id: CRED.good, name: 'Defender (emulator)' } };

interface Panel {
	id: string;
	name: string;
	resource?: { value: string; name: string };
	operation?: { value: string; name: string };
	type: string;
	parameters: Record<string, unknown>;
}

/** Every resource × operation the action node offers, read from its own description. */
function actionPanels(): Panel[] {
	const resources = (nodeProperties.find((p) => p.name === 'resource')?.options ??
		[]) as INodePropertyOptions[];
	const panels: Panel[] = [];
	for (const r of resources) {
		const opParam = nodeProperties.find(
			(p) => p.name === 'operation' && p.displayOptions?.show?.resource?.includes(r.value),
		);
		for (const o of (opParam?.options ?? []) as INodePropertyOptions[]) {
			panels.push({
				id: `op-${String(r.value)}-${String(o.value)}`,
				name: `${r.name} ${o.name}`,
				resource: { value: String(r.value), name: r.name },
				operation: { value: String(o.value), name: o.name },
				type: `${PKG}.microsoftDefender`,
				parameters: { resource: r.value, operation: o.value },
			});
		}
	}
	return panels;
}

const TRIGGER: Panel = {
	id: 'trigger-poll',
	name: 'Defender Trigger',
	type: `${PKG}.microsoftDefenderTrigger`,
	parameters: {},
};
const STREAM_TRIGGER: Panel = {
	id: 'trigger-stream',
	name: 'Defender Stream Trigger',
	type: `${PKG}.microsoftDefenderStreamTrigger`,
	parameters: {},
};
/** The alert picker reads the MDE API when the node's API switch says so: a second path. */
const ALERT_MDE: Panel = {
	id: 'op-alert-get-mde',
	name: 'Alert Get (MDE API)',
	resource: { value: 'alert', name: 'Alert' },
	operation: { value: 'get', name: 'Get' },
	type: `${PKG}.microsoftDefender`,
	parameters: { resource: 'alert', operation: 'get', api: 'mde' },
};
/** The machine picked By IP: the mode's name must fit the mode selector ("By IP Address" showed as "By IP Ad"). */
const MACHINE_BY_IP: Panel = {
	id: 'op-machine-isolate-ip',
	name: 'Machine Isolate (by IP)',
	resource: { value: 'machine', name: 'Machine' },
	operation: { value: 'isolate', name: 'Isolate' },
	type: `${PKG}.microsoftDefender`,
	parameters: {
		resource: 'machine',
		operation: 'isolate',
		machineId: { __rl: true, mode: 'ip', value: '10.1.2.3' },
	},
};
const PANELS: Panel[] = [TRIGGER, STREAM_TRIGGER, ...actionPanels(), ALERT_MDE, MACHINE_BY_IP];

/** What each picker's listSearch method asks the emulator ("METHOD path status"; one must answer 200). */
const PICKER_CALLS: Record<string, RegExp> = {
	alertId: /^GET \/(v1\.0\/security\/alerts_v2|api\/alerts) 200$/,
	incidentId: /^GET \/v1\.0\/security\/incidents 200$/,
	machineId: /^GET \/api\/machines 200$/,
};

/** A full load of the editor (n8n 2.x took over 20 s on a shared 2-core machine). */
const FULL_LOAD_MS = 90_000;

const ALL_OPS_WF = 'e2eEditorAllOps1';
const SHOWCASE_WF = 'e2eEditorShowcas';

function allOpsWorkflow(): Record<string, unknown> {
	const perRow = 7;
	return {
		id: ALL_OPS_WF,
		name: 'Every panel',
		nodes: PANELS.map((p, i) => ({
			id: p.id,
			name: p.name,
			type: p.type,
			typeVersion: 1,
			position: [(i % perRow) * 260, Math.floor(i / perRow) * 220],
			parameters: p.parameters,
			...(p === STREAM_TRIGGER ? {} : { credentials: CRED_REF }),
		})),
		connections: {},
	};
}

/** A small, realistic workflow for the README's canvas screenshot. */
function showcaseWorkflow(): Record<string, unknown> {
	const node = (
		id: string,
		name: string,
		parameters: Record<string, unknown>,
		x: number,
		y: number,
		trigger = false,
	) => ({
		id,
		name,
		type: `${PKG}.${trigger ? 'microsoftDefenderTrigger' : 'microsoftDefender'}`,
		typeVersion: 1,
		position: [x, y],
		parameters,
		credentials: CRED_REF,
	});
	return {
		id: SHOWCASE_WF,
		name: 'Isolate machines of high-severity alerts',
		nodes: [
			node('sc-trigger', 'New Alert', { event: 'newAlert' }, 0, 0, true),
			node(
				'sc-get',
				'Get Alert',
				{
					resource: 'alert',
					operation: 'get',
					alertId: { __rl: true, mode: 'id', value: '={{ $json.id }}' },
				},
				260,
				0,
			),
			node(
				'sc-isolate',
				'Isolate Machine',
				{
					resource: 'machine',
					operation: 'isolate',
					machineId: { __rl: true, mode: 'id', value: '={{ $json.machineId }}' },
				},
				520,
				0,
			),
			node(
				'sc-incident',
				'Comment on Incident',
				{
					resource: 'incident',
					operation: 'addComment',
					incidentId: {
						__rl: true,
						mode: 'id',
						value: '={{ $("Get Alert").item.json.incidentId }}',
					},
					comment: '=Isolated {{ $json.machineId }} (n8n)',
				},
				780,
				0,
			),
		],
		connections: {
			'New Alert': { main: [[{ node: 'Get Alert', type: 'main', index: 0 }]] },
			'Get Alert': { main: [[{ node: 'Isolate Machine', type: 'main', index: 0 }]] },
			'Isolate Machine': { main: [[{ node: 'Comment on Incident', type: 'main', index: 0 }]] },
		},
	};
}

/** Progress on stderr as it happens (jest prints console.log only when a file ends). */
function progress(msg: string): void {
	process.stderr.write(`[editor] ${msg}\n`);
}

async function waitUntil<T>(check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const v = await check();
		if (v !== undefined) return v;
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
		await new Promise((r) => setTimeout(r, 250));
	}
}

function describeEvents(events: PageEvent[]): string {
	return events.map((e) => `${e.kind}: ${e.text} ${e.url}`.trim()).join('\n');
}

/** The whole editor suite for one n8n line (skipped, with a reason, when E2E_N8N_LINES leaves it out). */
export function editorSuite(line: N8nLine): void {
	if (!e2eLines().includes(line)) {
		it.skip(`n8n line ${line} not selected (E2E_N8N_LINES=${process.env.E2E_N8N_LINES})`, () =>
			undefined);
		return;
	}
	const docsLine = Number(process.env.E2E_SCREENSHOTS_LINE ?? 2);
	const screenshotsDir =
		process.env.E2E_SCREENSHOTS && line === docsLine
			? resolve(process.env.E2E_SCREENSHOTS)
			: join(tmpdir(), `n8n-editor-screenshots-${line}`);
	let browser: Browser;
	describe(`real n8n line ${line} in Chromium: the editor`, () => {
		editorTests(line, () => browser, screenshotsDir);
	});
	beforeAll(async () => {
		browser = await launchChromium();
		await fs.mkdir(screenshotsDir, { recursive: true });
	});
	afterAll(async () => {
		await browser?.close();
	});
}

function editorTests(line: N8nLine, getBrowser: () => Browser, screenshotsDir: string): void {
	let emu: EmulatorHandle;
	let folder: N8nFolder;
	let srv: RunningN8n;
	let ed: EditorSession;
	const t0 = Date.now();
	/** Values cut off per panel (printed at the end; a cut label fails the panel's test). */
	const clipped: Record<string, string[]> = {};
	/** Picker rows cut off or identical to another row. */
	const pickerFindings: string[] = [];

	beforeAll(async () => {
		emu = await startEmulator({ seed: 7 });
		folder = await createUserFolder({ line });
		await installPackageTarball(folder, process.env.E2E_TARBALL as string);
		const good = emulatorCredentials(emu, { app: 'full', tenant: 'A' });
		await importCredentials(folder, [
			{ id: CRED.good, name: 'Defender (emulator)', type: CRED_TYPE, data: good },
			{
				id: CRED.badSecret,
				name: 'Defender (wrong secret)',
				type: CRED_TYPE,
				data: { ...good, clientSecret: 'not-the-secret' },
			},
			{
				id: CRED.noRoles,
				name: 'Defender (app without permissions)',
				type: CRED_TYPE,
				data: emulatorCredentials(emu, { app: 'noroles', tenant: 'A' }),
			},
		]);
		await importWorkflows(folder, [allOpsWorkflow(), showcaseWorkflow()]);
		srv = await startN8n(folder);
		await setupOwnerAndLogin(srv);
		ed = await openEditor(getBrowser(), srv.baseUrl);
		progress(
			`line ${line}: n8n ${folder.version} ready with the package in ${Math.round((Date.now() - t0) / 1000)}s`,
		);
	});

	afterAll(async () => {
		await ed?.close();
		await srv?.stop();
		await folder?.cleanup();
		await emu?.close();
		const cut = Object.entries(clipped).filter(([, t]) => t.length > 0);
		console.log(
			`[editor] line ${line}: done in ${Math.round((Date.now() - t0) / 1000)}s; texts cut off in ${cut.length} panels` +
				cut.map(([p, t]) => `\n  ${p}: ${t.map((s) => JSON.stringify(s)).join(', ')}`).join('') +
				`\n[editor] line ${line}: picker findings: ${pickerFindings.length}` +
				[...new Set(pickerFindings)].map((f) => `\n  ${f}`).join(''),
		);
	});

	const ndv = () => ed.page.locator('[data-test-id="ndv"]');

	/**
	 * Open a node's panel through n8n's own route for it (/workflow/:id/:nodeId, the link n8n puts in
	 * its URL bar when a panel is open). Once the editor is loaded, the route changes inside the app
	 * (as a click on a link does) instead of reloading the whole editor for each of the ~48 panels.
	 */
	async function openPanel(p: Panel): Promise<void> {
		const path = `/workflow/${ALL_OPS_WF}/${p.id}`;
		const inApp = await ed.page.evaluate(`(async () => {
			const router = document.querySelector('#app')?.__vue_app__?.config?.globalProperties?.$router;
			if (!router || !location.pathname.startsWith('/workflow/${ALL_OPS_WF}')) return false;
			await router.push('/workflow/${ALL_OPS_WF}');
			await router.push(${JSON.stringify(path)});
			return true;
		})()`);
		if (!inApp) await ed.page.goto(path);
		await ndv().waitFor({ state: 'visible', timeout: inApp ? 20_000 : FULL_LOAD_MS });
		await expect(
			ndv().locator('[data-test-id="inline-edit-preview"]').first().innerText(),
		).resolves.toBe(p.name);
	}

	it('the cut-text check finds a cut label and a cut value (so that finding none means something)', async () => {
		const probe = await ed.context.newPage();
		try {
			await probe.setContent(
				'<div id="root"><label style="display:block;width:60px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap">Allow Destructive Actions for AI Agents</label>' +
					'<label style="display:block;width:400px;overflow:hidden">Fits</label><input style="width:40px" value="By IP Address"></div>',
			);
			expect(await clippedTexts(probe, '#root')).toEqual({
				labels: ['Allow Destructive Actions for AI Agents'],
				values: ['By IP Address'],
			});
		} finally {
			await probe.close();
		}
	});

	it('the canvas shows every node with its subtitle (screenshot)', async () => {
		const mark = ed.events.length;
		await ed.page.goto(`/workflow/${SHOWCASE_WF}`);
		const nodes = ed.page.locator('[data-test-id="canvas-node"]');
		await nodes.first().waitFor({ timeout: FULL_LOAD_MS });
		expect(await nodes.count()).toBe(4);
		const canvasText = await ed.page.locator('#app').innerText();
		for (const subtitle of ['New Alert', 'Get: Alert', 'Isolate: Machine', 'Add Comment: Incident'])
			expect(canvasText).toContain(subtitle);
		await ed.page.locator('[data-test-id="zoom-to-fit"]').click();
		await ed.page.mouse.move(5, 400); // no tooltip in the picture
		await ed.page.waitForTimeout(500);
		await ed.page.screenshot({ path: join(screenshotsDir, 'editor-canvas.png') });
		expect(describeEvents(ed.problemsSince(mark))).toBe('');
	});

	describe.each(PANELS.map((p) => [p.name, p] as const))('panel %s', (_name, p) => {
		it('opens with its resource and operation, no console error, no label cut off; its pickers fill from the emulator', async () => {
			const mark = ed.events.length;
			const started = Date.now();
			const logMark = emu.log.length;
			progress(`line ${line}: panel ${p.name}`);
			await openPanel(p);
			const page = ed.page;
			if (p.resource && p.operation) {
				await expect(
					page.locator('[data-test-id="parameter-input-resource"] input').first().inputValue(),
				).resolves.toBe(p.resource.name);
				await expect(
					page.locator('[data-test-id="parameter-input-operation"] input').first().inputValue(),
				).resolves.toBe(p.operation.name);
			}
			// Every parameter rendered (no half-drawn panel): at least the credential and one input.
			expect(await ndv().locator('[data-test-id="parameter-input"]').count()).toBeGreaterThan(0);

			// "From list" pickers: open each and wait for rows from the emulator.
			const locators = ndv().locator(
				'[data-test-id^="resource-locator-"]:not([data-test-id="resource-locator-dropdown"])',
			);
			for (let i = 0; i < (await locators.count()); i++) {
				const rl = locators.nth(i);
				const param = ((await rl.getAttribute('data-test-id')) ?? '').replace(
					'resource-locator-',
					'',
				);
				const mode = await rl
					.locator('[data-test-id="rlc-mode-selector"] input')
					.first()
					.inputValue();
				if (!/list/i.test(mode)) {
					expect(p.parameters).toHaveProperty([param, 'mode']); // only a panel saved in another mode skips its list
					continue;
				}
				await rl.locator('[data-test-id="rlc-input"]').click();
				const items = page.locator('[data-test-id="rlc-item"]');
				await items.first().waitFor({ state: 'visible', timeout: 30_000 });
				const texts = (await items.allInnerTexts()).map((t) => t.trim());
				expect(texts.length).toBeGreaterThan(0);
				expect(texts.every((t) => t.length > 0)).toBe(true);
				// The list may load as the panel opens or as the picker opens: any time since the panel opened.
				const calls = emu.log.slice(logMark).map((e) => `${e.method} ${e.path} ${e.status}`);
				expect({ param, calls }).toEqual({
					param,
					calls: expect.arrayContaining([expect.stringMatching(PICKER_CALLS[param] ?? /^$/)]),
				});
				// Rows a user can tell apart, shown whole (findings printed at the end; not asserted yet).
				const rowsCut = await clippedTexts(
					page,
					'body',
					'[data-test-id="rlc-item"], [data-test-id="rlc-item"] *',
				);
				const repeated = texts.filter((t, i) => texts.indexOf(t) !== i);
				pickerFindings.push(
					...rowsCut.labels.map((t) => `${p.name} › ${param}: row cut off: ${JSON.stringify(t)}`),
					...[...new Set(repeated)].map(
						(t) => `${p.name} › ${param}: identical rows: ${JSON.stringify(t)}`,
					),
				);
				if (p.id === 'op-machine-isolate')
					await page.screenshot({ path: join(screenshotsDir, 'editor-operation-panel.png') });
				await page.keyboard.press('Escape');
			}
			await page.waitForTimeout(300); // late requests of the panel (option loaders)
			const cut = await clippedTexts(page, '[data-test-id="ndv"]');
			clipped[p.name] = cut.values;
			expect({ panel: p.name, cutLabels: cut.labels }).toEqual({ panel: p.name, cutLabels: [] });
			progress(`line ${line}: panel ${p.name} checked in ${Date.now() - started} ms`);
			expect(describeEvents(ed.problemsSince(mark))).toBe('');
		});
	});

	it("the trigger's Fetch Test Event returns the emulator's alerts", async () => {
		const mark = ed.events.length;
		await openPanel(TRIGGER);
		const logMark = emu.log.length;
		await ndv().locator('[data-test-id="node-execute-button"]').first().click();
		// A trigger's panel has no input side: the only "N items" is the output's.
		const items = await waitUntil(
			async () => /\b(\d+) items?\b/.exec(await ndv().innerText())?.[1],
			60_000,
		);
		expect(Number(items)).toBeGreaterThan(0);
		expect(
			emu.log
				.slice(logMark)
				.some((e) => /^\/v1\.0\/security\/alerts_v2$/.test(e.path) && e.status === 200),
		).toBe(true);
		expect(describeEvents(ed.problemsSince(mark))).toBe('');
	});

	async function openCredential(id: string): Promise<string> {
		await ed.page.goto(`/home/credentials/${id}`);
		const dialog = ed.page.locator('[data-test-id="credential-edit-dialog"]');
		await dialog.waitFor({ state: 'visible', timeout: FULL_LOAD_MS });
		// Opening a saved credential runs its test; a banner says how it went (n8n's own texts).
		await dialog
			.locator(
				'text=/Connection tested successfully|Couldn.t connect with these settings/ >> visible=true',
			)
			.first()
			.waitFor({ timeout: 60_000 });
		const details = dialog.locator('text=/More details/ >> visible=true');
		if (await details.count()) await details.first().click();
		return await dialog.innerText();
	}

	it('credential form: a good app shows "Connection tested successfully" (screenshot)', async () => {
		const mark = ed.events.length;
		const text = await openCredential(CRED.good);
		expect(text).toContain('Connection tested successfully');
		await ed.page.mouse.move(5, 400);
		await ed.page.waitForTimeout(500); // the Retry button's label settles after the test
		await ed.page.screenshot({ path: join(screenshotsDir, 'editor-credential.png') });
		expect(describeEvents(ed.problemsSince(mark))).toBe('');
	});

	it('credential form: a wrong secret shows our message (AADSTS7000215 and what to do)', async () => {
		const text = await openCredential(CRED.badSecret);
		expect(text).not.toContain('Connection tested successfully');
		expect(text).toContain('AADSTS7000215');
		expect(text).not.toContain('not-the-secret');
	});

	it('credential form: an app without permissions shows which permission is missing', async () => {
		const text = await openCredential(CRED.noRoles);
		expect(text).not.toContain('Connection tested successfully');
		expect(text).toMatch(/no permission for the test call/);
	});
}
