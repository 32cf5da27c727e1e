import {
	normaliseHuntingResult,
	simplifyAlert,
	simplifyIncident,
	toGraphValue,
	toMdeValue,
} from '../../nodes/MicrosoftDefender/helpers/simplify';

describe('helpers/simplify vocabulary', () => {
	it('maps MDE/XDR and both Graph generations to current Graph names', () => {
		expect(toGraphValue('status', 'InProgress')).toBe('inProgress');
		expect(toGraphValue('status', 'Active')).toBe('active');
		expect(toGraphValue('status', 'AwaitingAction')).toBe('awaitingAction');
		expect(toGraphValue('severity', 'UnSpecified')).toBe('unknown');
		expect(toGraphValue('severity', 'High')).toBe('high');
		expect(toGraphValue('classification', 'TruePositive')).toBe('truePositive');
		expect(toGraphValue('classification', 'INFORMATIONALEXPECTEDACTIVITY')).toBe('informationalExpectedActivity');
		for (const [from, to] of [
			['CompromisedUser', 'compromisedAccount'],
			['CompromisedAccount', 'compromisedAccount'],
			['compromisedUser', 'compromisedAccount'],
			['Clean', 'notMalicious'],
			['clean', 'notMalicious'],
			['NotMalicious', 'notMalicious'],
			['InsufficientData', 'notEnoughDataToValidate'],
			['NoEnoughDataToValidate', 'notEnoughDataToValidate'],
			['ConfirmedUserActivity', 'confirmedActivity'],
			['NotAvailable', 'unknown'],
			['MultiStagedAttack', 'multiStagedAttack'],
			['SomethingNew', 'somethingNew'],
		]) {
			expect(toGraphValue('determination', from)).toBe(to);
		}
		expect(toGraphValue('status', null)).toBeNull();
		expect(toGraphValue('status', undefined)).toBeUndefined();
	});

	it('maps UI values to the MDE alerts API names', () => {
		expect(toMdeValue('status', 'inProgress')).toBe('InProgress');
		expect(toMdeValue('status', 'resolved')).toBe('Resolved');
		expect(toMdeValue('severity', 'unknown')).toBe('UnSpecified');
		expect(toMdeValue('severity', 'medium')).toBe('Medium');
		expect(toMdeValue('classification', 'informationalExpectedActivity')).toBe('InformationalExpectedActivity');
		expect(toMdeValue('determination', 'compromisedAccount')).toBe('CompromisedUser');
		// Update alert's spelling first; the alert update retries with the resource page's (Clean).
		expect(toMdeValue('determination', 'notMalicious')).toBe('NotMalicious');
		expect(toMdeValue('determination', 'notEnoughDataToValidate')).toBe('InsufficientData');
		expect(toMdeValue('determination', 'confirmedActivity')).toBe('ConfirmedActivity');
		expect(toMdeValue('determination', 'malware')).toBe('Malware');
		expect(toMdeValue('determination', 'Clean')).toBe('Clean');
		// Unknown values typed as expressions pass through for the API to judge.
		expect(toMdeValue('determination', 'brandNew')).toBe('BrandNew');
	});
});

describe('simplifyAlert', () => {
	const keys = [
		'id',
		'title',
		'severity',
		'status',
		'classification',
		'assignedTo',
		'incidentId',
		'machineId',
		'createdDateTime',
		'lastUpdateDateTime',
	];

	it('gives the same shape for a Graph alert', () => {
		const s = simplifyAlert({
			id: 'da1_2',
			title: 'Suspicious PowerShell',
			severity: 'high',
			status: 'inProgress',
			classification: null,
			assignedTo: 'a@contoso.com',
			incidentId: '42',
			createdDateTime: '2024-01-01T00:00:00Z',
			lastUpdateDateTime: '2024-01-02T00:00:00Z',
			evidence: [
				{ '@odata.type': '#microsoft.graph.security.fileEvidence' },
				{ '@odata.type': '#microsoft.graph.security.deviceEvidence', mdeDeviceId: 'ab'.repeat(20) },
			],
		});
		expect(Object.keys(s)).toEqual(keys);
		expect(s).toMatchObject({ id: 'da1_2', severity: 'high', status: 'inProgress', incidentId: '42', machineId: 'ab'.repeat(20), classification: null });
	});

	it('gives the same shape for an MDE alert, in Graph vocabulary', () => {
		const s = simplifyAlert({
			id: 'da1_2',
			incidentId: 42,
			title: 't',
			severity: 'UnSpecified',
			status: 'InProgress',
			classification: 'TruePositive',
			assignedTo: null,
			machineId: 'cd'.repeat(20),
			alertCreationTime: '2024-01-01T00:00:00Z',
			lastUpdateTime: '2024-01-02T00:00:00Z',
		});
		expect(Object.keys(s)).toEqual(keys);
		expect(s).toMatchObject({
			severity: 'unknown',
			status: 'inProgress',
			classification: 'truePositive',
			incidentId: '42',
			machineId: 'cd'.repeat(20),
			createdDateTime: '2024-01-01T00:00:00Z',
			lastUpdateDateTime: '2024-01-02T00:00:00Z',
			assignedTo: null,
		});
	});

	it('handles XDR incident alerts (alertId, lastUpdatedTime, mdatpDeviceId)', () => {
		const s = simplifyAlert({
			alertId: 'x1',
			incidentId: 7,
			creationTime: 'c',
			lastUpdatedTime: 'u',
			status: 'New',
			devices: [{ mdatpDeviceId: 'ef'.repeat(20) }],
		});
		expect(s).toMatchObject({ id: 'x1', incidentId: '7', createdDateTime: 'c', lastUpdateDateTime: 'u', machineId: 'ef'.repeat(20), status: 'new' });
	});
});

describe('simplifyIncident', () => {
	it('maps Graph incidents and adds simplified alerts when present', () => {
		const s = simplifyIncident({
			id: '12',
			displayName: 'Ransomware',
			severity: 'high',
			status: 'awaitingAction',
			classification: 'unknown',
			determination: 'clean',
			assignedTo: null,
			customTags: ['x'],
			createdDateTime: 'c',
			lastUpdateDateTime: 'u',
			alerts: [{ id: 'a1', lastUpdateDateTime: 'u', severity: 'low' }],
		});
		expect(s).toMatchObject({ id: '12', displayName: 'Ransomware', determination: 'notMalicious', tags: ['x'], status: 'awaitingAction' });
		expect((s.alerts as unknown[]).length).toBe(1);
		expect(Object.keys(s)).toHaveLength(11);
	});

	it('maps XDR incidents to the same shape', () => {
		const s = simplifyIncident({ incidentId: 9, incidentName: 'n', status: 'Active', severity: 'Medium', determination: 'NotAvailable', tags: [], createdTime: 'c', lastUpdateTime: 'u' });
		expect(s).toMatchObject({ id: '9', displayName: 'n', status: 'active', severity: 'medium', determination: 'unknown', createdDateTime: 'c', lastUpdateDateTime: 'u' });
		expect(s.alerts).toBeUndefined();
		expect(Object.keys(s)).toHaveLength(10);
	});
});

describe('normaliseHuntingResult', () => {
	it('reads MDE/XDR PascalCase', () => {
		const r = normaliseHuntingResult({
			Schema: [{ Name: 'DeviceId', Type: 'String' }],
			Results: [{ DeviceId: 'a' }],
			Stats: { ExecutionTime: 1 },
		});
		expect(r).toEqual({ rows: [{ DeviceId: 'a' }], schema: [{ name: 'DeviceId', type: 'String' }], stats: { ExecutionTime: 1 } });
	});

	it('reads Graph lowercase (and Name/Type schema variants), stats null', () => {
		const r = normaliseHuntingResult({
			'@odata.context': 'x',
			schema: [{ name: 'A', type: 'Int32' }, { Name: 'B', Type: 'String' }],
			results: [{ A: 1, B: 'b' }],
		});
		expect(r.schema).toEqual([{ name: 'A', type: 'Int32' }, { name: 'B', type: 'String' }]);
		expect(r.rows).toEqual([{ A: 1, B: 'b' }]);
		expect(r.stats).toBeNull();
	});

	it('survives empty or odd bodies', () => {
		expect(normaliseHuntingResult(undefined)).toEqual({ rows: [], schema: [], stats: null });
		expect(normaliseHuntingResult('')).toEqual({ rows: [], schema: [], stats: null });
	});
});
