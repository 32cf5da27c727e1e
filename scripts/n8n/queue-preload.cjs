// TEST ONLY, loaded into the n8n processes of a test cluster with NODE_OPTIONS=--require (see
// queue.ts); never part of the package.
//  - E2E_DEFENDER_TIME_SCALE: sets the package's pacing clock (transportTuning.timeScale) to the
//    emulator's compressed clock, as the unit tests and benchmarks do in-process.
//  - E2E_CLIENT_NAME: adds `x-emulator-client: <name>` to every HTTP request of this process, so
//    the emulator's log tells main and each worker apart.
'use strict';
const Module = require('module');
const http = require('http');

const scale = Number(process.env.E2E_DEFENDER_TIME_SCALE || '');
if (scale > 0) {
	const load = Module._load;
	Module._load = function (request, parent, isMain) {
		const exported = load.apply(this, arguments);
		if (
			exported &&
			typeof exported === 'object' &&
			exported.transportTuning &&
			typeof exported.transportTuning.timeScale === 'number' &&
			/MicrosoftDefender/.test(String(parent && parent.filename))
		) {
			exported.transportTuning.timeScale = scale;
		}
		return exported;
	};
}

const client = process.env.E2E_CLIENT_NAME;
if (client) {
	const addRequest = http.Agent.prototype.addRequest;
	http.Agent.prototype.addRequest = function (req) {
		try {
			if (!req.headersSent && !req.getHeader('x-emulator-client')) req.setHeader('x-emulator-client', client);
		} catch {
			/* headers already sent */
		}
		return addRequest.apply(this, arguments);
	};
}
