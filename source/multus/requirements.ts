import type {V1PolicyRule} from '@kubernetes/client-node';
import {finding, type FindingInfo} from './findings.js';
import {multusReleases, runsInformers, type InformerName, type MultusRelease} from './versions.js';

/** Thick: the long-running multus-daemon with informers. Thin: the CNI binary run per pod by the runtime. */
export type MultusMode = 'thick' | 'thin';

/**
 * blocking: the cause of the forbidden error the doctor exists to fix; the doctor patches these.
 * advisory: used by Multus, reported as a warning when missing, never patched automatically.
 */
export type RequirementLevel = 'blocking' | 'advisory';

export interface Requirement {
	rule: V1PolicyRule;
	/** Why Multus needs it, in one short user-facing phrase. */
	why: string;
	/** Multus reads and writes pods in every namespace, so only a ClusterRole can grant these. */
	scope: 'cluster';
	level: RequirementLevel;
	/** The daemon informer that needs it (its forbidden lines name this informer's type), when one does. */
	informer?: InformerName;
	/** The finding its absence is (a rule gap, source/multus/findings.ts). */
	finding: FindingInfo;
	/** A blocking requirement's access reviews, by verb: the finding each one's denial is. */
	denied?: Readonly<Record<string, FindingInfo>>;
}

const core = '';
const nadGroup = 'k8s.cni.cncf.io';
const nads = 'network-attachment-definitions';

function requirement(
	level: RequirementLevel,
	apiGroup: string,
	resource: string,
	verbs: string[],
	gap: FindingInfo,
	why: string,
	informer?: InformerName,
	denied?: Readonly<Record<string, FindingInfo>>,
): Requirement {
	return {rule: {apiGroups: [apiGroup], resources: [resource], verbs}, why, scope: 'cluster', level, ...(informer ? {informer} : {}), finding: gap, ...(denied ? {denied} : {})};
}

// The daemon's event recorder writes through the core events API only (upstream also grants events.k8s.io,
// which Multus does not use). Repeated events are patched; a create-only role drops them.
function eventRequirements(): Requirement[] {
	return [
		requirement('advisory', core, 'events', ['create'], finding.eventsCreateRule, 'Multus records events on pods'),
		requirement('advisory', core, 'events', ['patch'], finding.eventsPatchRule, 'repeated events are patched; without it they are dropped'),
	];
}

// Thick from v4.1.0: both informers list and watch cluster-wide, and the daemon waits for their caches before it
// serves; a denied list or watch repeats in its log for as long as it runs (v4.1.x cannot even find pods on ADD).
// Older thick images run no informer and read pods live, so for them nothing is blocking.
function thickRequirements(release: MultusRelease): Requirement[] {
	const withInformers = runsInformers(release);
	return [
		...(withInformers
			? [
				requirement(
					'blocking',
					core,
					'pods',
					['list', 'watch'],
					finding.podsInformerRule,
					"the thick daemon's pod informer lists and watches pods cluster-wide, filtered to its node",
					'pod',
					{list: finding.podsListDenied, watch: finding.podsWatchDenied},
				),
				requirement(
					'blocking',
					nadGroup,
					nads,
					['list', 'watch'],
					finding.nadsInformerRule,
					"the thick daemon's NetworkAttachmentDefinition informer lists and watches them cluster-wide",
					'net-attach-def',
					{list: finding.nadsListDenied, watch: finding.nadsWatchDenied},
				),
			]
			: []),
		requirement(
			'advisory',
			core,
			'pods',
			['get'],
			finding.podsGetRule,
			withInformers
				? 'the daemon reads a pod directly when its cache misses and before writing its network status'
				: 'the daemon reads each pod on ADD and before writing its network status',
		),
		requirement(
			'advisory',
			core,
			'pods/status',
			['update'],
			finding.podsStatusRule,
			"the daemon writes each pod's network-status annotation through the status",
		),
		...(withInformers
			? []
			: [requirement('advisory', nadGroup, nads, ['get'], finding.nadsGetRule, 'each pod ADD reads the NetworkAttachmentDefinitions it asks for')]),
		...(release.dra
			? [
				// Only pods that claim DRA devices reach this code; others never do, so it never blocks the daemon.
				requirement('advisory', 'resource.k8s.io', 'resourceclaims', ['get'], finding.draRules, 'pods that claim DRA devices: the daemon reads their ResourceClaims'),
				requirement('advisory', 'resource.k8s.io', 'resourceslices', ['list'], finding.draRules, "pods that claim DRA devices: the daemon lists its node's ResourceSlices"),
			]
			: []),
		...eventRequirements(),
	];
}

// The thin plugin has no informers: the pod list/watch bug cannot happen, so nothing here is blocking.
function thinRequirements(): Requirement[] {
	return [
		requirement('advisory', core, 'pods', ['get'], finding.podsGetRule, 'each pod ADD reads the pod to find its extra networks'),
		requirement(
			'advisory',
			core,
			'pods/status',
			['update'],
			finding.podsStatusRule,
			"Multus writes each pod's network-status annotation through the status",
		),
		requirement('advisory', nadGroup, nads, ['get'], finding.nadsGetRule, 'each pod ADD reads the NetworkAttachmentDefinitions it asks for'),
		...eventRequirements(),
	];
}

const newestRelease = multusReleases.at(-1)!;

/**
 * Everything Multus in `mode` at `release` needs from its ClusterRole, blocking first. Fresh objects on every call.
 * Without a release, the newest known one (what a floating tag runs).
 */
export function requiredRules(mode: MultusMode, release: MultusRelease = newestRelease): Requirement[] {
	return mode === 'thick' ? thickRequirements(release) : thinRequirements();
}

/** The rules whose absence breaks the daemon (thick with informers: pods and NADs list and watch); the doctor adds these. */
export function blockingRules(mode: MultusMode, release: MultusRelease = newestRelease): V1PolicyRule[] {
	return requiredRules(mode, release)
		.filter(requirement => requirement.level === 'blocking')
		.map(requirement => requirement.rule);
}

/** The rules Multus uses whose absence is only warned about. */
export function advisoryRules(mode: MultusMode, release: MultusRelease = newestRelease): V1PolicyRule[] {
	return requiredRules(mode, release)
		.filter(requirement => requirement.level === 'advisory')
		.map(requirement => requirement.rule);
}

/** The informers the daemon runs and waits for (empty for thin, and for thick images before v4.1). */
export function daemonInformers(mode: MultusMode, release: MultusRelease = newestRelease): InformerName[] {
	return mode === 'thick' ? [...release.informers] : [];
}
