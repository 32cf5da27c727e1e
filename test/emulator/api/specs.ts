/** OData entity specs (filterable/sortable fields) per API collection. */
import type { AlertRecord, IncidentRecord, IndicatorRecord, MachineActionRecord, MachineRecord, SoftwareRecord, VulnerabilityRecord } from '../data/model';
import {
	alertLastEventTime,
	alertStatusGraph,
	classificationGraph,
	classificationXdr,
	determinationGraph,
	determinationXdr,
	iso7,
	severityGraph,
} from '../data/model';
import type { DefenderStore } from '../data/store';
import type { EntitySpec } from '../odata';

/** MDE alerts: the fields get-alerts.md lists (corrections: machineId is NOT filterable). */
export const mdeAlertSpec: EntitySpec<AlertRecord> = {
	typeName: 'microsoft.windowsDefenderATP.api.PublicAlert',
	fields: {
		alertCreationTime: { type: 'datetime', get: (a) => a.alertCreationTime },
		lastUpdateTime: { type: 'datetime', get: (a) => a.lastUpdateTime },
		incidentId: { type: 'number', get: (a) => a.incidentId },
		InvestigationId: { type: 'number', get: (a) => a.investigationId },
		id: { type: 'string', get: (a) => a.id },
		assignedTo: { type: 'string', get: (a) => a.assignedTo },
		detectionSource: { type: 'string', get: (a) => a.detectionSource },
		lastEventTime: { type: 'datetime', get: (a) => alertLastEventTime(a) },
		status: { type: 'string', get: (a) => a.status },
		severity: { type: 'string', get: (a) => a.severity },
		category: { type: 'string', get: (a) => a.category },
	},
	otherProps: ['machineId', 'computerDnsName', 'classification', 'determination', 'title', 'description', 'investigationState', 'firstEventTime', 'resolvedTime', 'threatFamilyName', 'rbacGroupName', 'mitreTechniques', 'evidence', 'comments'],
};

export const machineSpec: EntitySpec<MachineRecord> = {
	typeName: 'microsoft.windowsDefenderATP.api.PublicMachine',
	fields: {
		computerDnsName: { type: 'string', get: (m) => m.computerDnsName },
		id: { type: 'string', get: (m) => m.id },
		version: { type: 'string', get: (m) => m.version },
		deviceValue: { type: 'string', get: (m) => m.deviceValue },
		aadDeviceId: { type: 'string', get: (m) => m.aadDeviceId },
		machineTags: { type: 'stringArray', get: (m) => m.machineTags, sortable: false },
		lastSeen: { type: 'datetime', get: (m) => m.lastSeen },
		exposureLevel: { type: 'string', get: (m) => m.exposureLevel },
		onboardingStatus: { type: 'string', get: (m) => m.onboardingStatus },
		lastIpAddress: { type: 'string', get: (m) => m.lastIpAddress },
		healthStatus: { type: 'string', get: (m) => m.healthStatus },
		osPlatform: { type: 'string', get: (m) => m.osPlatform },
		riskScore: { type: 'string', get: (m) => m.riskScore },
		rbacGroupId: { type: 'number', get: (m) => m.rbacGroupId },
	},
	otherProps: ['firstSeen', 'osBuild', 'osProcessor', 'lastExternalIpAddress', 'rbacGroupName', 'isAadJoined', 'ipAddresses', 'defenderAvStatus'],
};

export function machineActionSpec(store: DefenderStore): EntitySpec<MachineActionRecord> {
	return {
		typeName: 'microsoft.windowsDefenderATP.api.MachineAction',
		fields: {
			id: { type: 'string', get: (a) => a.id },
			status: { type: 'string', get: (a) => store.actionStatus(a).status },
			machineId: { type: 'string', get: (a) => a.machineId },
			type: { type: 'string', get: (a) => a.type },
			requestor: { type: 'string', get: (a) => a.requestor },
			creationDateTimeUtc: { type: 'datetime', get: (a) => iso7(a.createdMs) },
		},
		otherProps: ['scope', 'requestorComment', 'computerDnsName', 'lastUpdateDateTimeUtc', 'title'],
	};
}

export const graphAlertSpec: EntitySpec<AlertRecord> = {
	typeName: 'microsoft.graph.security.alert',
	fields: {
		assignedTo: { type: 'string', get: (a) => a.assignedTo },
		classification: { type: 'string', get: (a) => classificationGraph(a.classification) },
		determination: { type: 'string', get: (a) => determinationGraph(a.determination) },
		createdDateTime: { type: 'datetime', get: (a) => a.alertCreationTime },
		lastUpdateDateTime: { type: 'datetime', get: (a) => a.lastUpdateTime },
		severity: { type: 'string', get: (a) => severityGraph(a.severity) },
		serviceSource: { type: 'string', get: () => 'microsoftDefenderForEndpoint' },
		status: { type: 'string', get: (a) => alertStatusGraph(a.status) },
	},
	otherProps: ['id', 'incidentId', 'investigationState', 'title', 'category', 'detectionSource', 'providerAlertId', 'evidence', 'mitreTechniques'],
};

export const graphIncidentSpec: EntitySpec<IncidentRecord> = {
	typeName: 'microsoft.graph.security.incident',
	fields: {
		assignedTo: { type: 'string', get: (i) => i.assignedTo },
		classification: { type: 'string', get: (i) => classificationGraph(i.classification) },
		createdDateTime: { type: 'datetime', get: (i) => i.createdTime },
		determination: { type: 'string', get: (i) => determinationGraph(i.determination) },
		lastUpdateDateTime: { type: 'datetime', get: (i) => i.lastUpdateTime },
		severity: { type: 'string', get: (i) => severityGraph(i.severity) },
		status: { type: 'string', get: (i) => (i.status === 'AwaitingAction' ? 'awaitingAction' : i.status.charAt(0).toLowerCase() + i.status.slice(1)) },
	},
	otherProps: ['id', 'displayName', 'customTags', 'systemTags', 'alerts', 'comments', 'description'],
};

export const xdrIncidentSpec: EntitySpec<IncidentRecord> = {
	typeName: 'microsoft.windowsDefenderATP.api.Incident',
	fields: {
		lastUpdateTime: { type: 'datetime', get: (i) => i.lastUpdateTime },
		createdTime: { type: 'datetime', get: (i) => i.createdTime, sortable: false },
		status: { type: 'string', get: (i) => i.status },
		assignedTo: { type: 'string', get: (i) => i.assignedTo },
		incidentId: { type: 'number', get: (i) => i.incidentId, filterable: false },
		classification: { type: 'string', get: (i) => classificationXdr(i.classification), filterable: false, sortable: false },
		determination: { type: 'string', get: (i) => determinationXdr(i.determination), filterable: false, sortable: false },
	},
	otherProps: ['severity', 'incidentName', 'tags', 'alerts', 'comments'],
};

export const indicatorSpec: EntitySpec<IndicatorRecord> = {
	typeName: 'microsoft.windowsDefenderATP.api.Indicator',
	fields: {
		application: { type: 'string', get: (i) => i.application },
		createdByDisplayName: { type: 'string', get: (i) => i.createdByDisplayName },
		expirationTime: { type: 'datetime', get: (i) => i.expirationTime },
		generateAlert: { type: 'bool', get: (i) => i.generateAlert },
		title: { type: 'string', get: (i) => i.title },
		rbacGroupNames: { type: 'stringArray', get: (i) => i.rbacGroupNames, sortable: false },
		rbacGroupIds: { type: 'stringArray', get: (i) => i.rbacGroupIds.map(String), sortable: false },
		indicatorValue: { type: 'string', get: (i) => i.indicatorValue },
		indicatorType: { type: 'string', get: (i) => i.indicatorType },
		creationTimeDateTimeUtc: { type: 'datetime', get: (i) => i.creationTimeDateTimeUtc },
		createdBy: { type: 'string', get: (i) => i.createdBy },
		action: { type: 'string', get: (i) => i.action },
		severity: { type: 'string', get: (i) => i.severity },
		id: { type: 'string', get: (i) => i.id },
	},
};

export const vulnerabilitySpec: EntitySpec<VulnerabilityRecord> = {
	typeName: 'microsoft.windowsDefenderATP.api.PublicVulnerabilityDto',
	fields: {
		id: { type: 'string', get: (v) => v.id },
		name: { type: 'string', get: (v) => v.name },
		description: { type: 'string', get: (v) => v.description },
		cvssV3: { type: 'number', get: (v) => v.cvssV3 },
		publishedOn: { type: 'datetime', get: (v) => v.publishedOn },
		severity: { type: 'string', get: (v) => v.severity },
		updatedOn: { type: 'datetime', get: (v) => v.updatedOn },
	},
};

export const softwareSpec: EntitySpec<SoftwareRecord> = {
	typeName: 'microsoft.windowsDefenderATP.api.PublicSoftwareDto',
	fields: {
		id: { type: 'string', get: (s) => s.id },
		name: { type: 'string', get: (s) => s.name },
		vendor: { type: 'string', get: (s) => s.vendor },
	},
};
