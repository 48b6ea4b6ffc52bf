import type {V1PolicyRule} from '@kubernetes/client-node';

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
}

const core = '';
const nadGroup = 'k8s.cni.cncf.io';
const nads = 'network-attachment-definitions';

function requirement(
	level: RequirementLevel,
	apiGroup: string,
	resource: string,
	verbs: string[],
	why: string,
): Requirement {
	return {rule: {apiGroups: [apiGroup], resources: [resource], verbs}, why, scope: 'cluster', level};
}

// The daemon's event recorder writes through the core events API only (upstream also grants events.k8s.io,
// which Multus does not use). Repeated events are patched; a create-only role drops them.
function eventRequirements(): Requirement[] {
	return [
		requirement('advisory', core, 'events', ['create'], 'Multus records events on pods'),
		requirement('advisory', core, 'events', ['patch'], 'repeated events are patched; without it they are dropped'),
	];
}

function thickRequirements(): Requirement[] {
	return [
		requirement(
			'blocking',
			core,
			'pods',
			['list', 'watch'],
			"the thick daemon's pod informer lists and watches pods cluster-wide, filtered to its node",
		),
		requirement(
			'advisory',
			core,
			'pods',
			['get'],
			'the daemon reads a pod directly when its cache misses and before writing its network status',
		),
		requirement(
			'advisory',
			core,
			'pods/status',
			['update'],
			"the daemon writes each pod's network-status annotation through the status",
		),
		requirement(
			'advisory',
			nadGroup,
			nads,
			['get', 'list', 'watch'],
			"the daemon's NetworkAttachmentDefinition informer lists and watches them cluster-wide",
		),
		...eventRequirements(),
	];
}

// The thin plugin has no informers: the pod list/watch bug cannot happen, so nothing here is blocking.
function thinRequirements(): Requirement[] {
	return [
		requirement('advisory', core, 'pods', ['get'], 'each pod ADD reads the pod to find its extra networks'),
		requirement(
			'advisory',
			core,
			'pods/status',
			['update'],
			"Multus writes each pod's network-status annotation through the status",
		),
		requirement('advisory', nadGroup, nads, ['get'], 'each pod ADD reads the NetworkAttachmentDefinitions it asks for'),
		...eventRequirements(),
	];
}

/** Everything Multus in `mode` needs from its ClusterRole, blocking first. Fresh objects on every call. */
export function requiredRules(mode: MultusMode): Requirement[] {
	return mode === 'thick' ? thickRequirements() : thinRequirements();
}

/** The rules whose absence causes the forbidden error the doctor fixes (thick: pods list and watch). */
export function blockingRules(mode: MultusMode): V1PolicyRule[] {
	return requiredRules(mode)
		.filter(requirement => requirement.level === 'blocking')
		.map(requirement => requirement.rule);
}

/** The rules Multus uses whose absence is only warned about. */
export function advisoryRules(mode: MultusMode): V1PolicyRule[] {
	return requiredRules(mode)
		.filter(requirement => requirement.level === 'advisory')
		.map(requirement => requirement.rule);
}
