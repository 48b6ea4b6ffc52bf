import type {RbacV1Subject, V1ClusterRole, V1PolicyRule} from '@kubernetes/client-node';
import {stringify} from 'yaml';
import {jsonCopy, type JsonPatchOperation} from '../multus/rbac.js';
import {revertAddition} from '../multus/revert.js';
import {versionInfo} from '../version.js';

/** Annotations the doctor leaves on a ClusterRole it patched: what changed, when, by what, and how to undo. */
export const previousRulesAnnotation = 'kubectl-multus.dev/previous-rules';
export const changeAnnotation = 'kubectl-multus.dev/change';
/** Every annotation the doctor writes starts so: none of them goes into a manifest it emits. */
const doctorAnnotationPrefix = 'kubectl-multus.dev/';

export interface ChangeRecord {
	added: V1PolicyRule[];
	at: string;
	by: string;
	daemonSet: string;
	/** The rules right after our patch: undo refuses when the role no longer has exactly these. */
	rulesAfter: V1PolicyRule[];
	/**
	 * On a ClusterRole the doctor created for the Multus identity alone (the role it would have patched is bound to
	 * others too): the ClusterRoleBinding it created with it, and that binding's subjects. Undo deletes both.
	 */
	dedicated?: {binding: string; subjects: RbacV1Subject[]};
}

/** The JSON pointer (RFC 6901) to one annotation of an object. */
export function annotationPath(key: string): string {
	return `/metadata/annotations/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
}

/**
 * JSON patch operations that record the change on the role, to send in the same patch as the rules. The rules
 * before the doctor's first change stay in previous-rules: a role with an earlier record keeps its own (a dedicated
 * role has none: it had no rules before).
 */
export function recordOperations(role: V1ClusterRole, record: ChangeRecord, previousRules: V1PolicyRule[]): JsonPatchOperation[] {
	const kept = readRecord(role).state === 'valid';
	const values: Record<string, string> = {
		...(kept ? {} : {[previousRulesAnnotation]: JSON.stringify(previousRules.map(jsonCopy))}),
		[changeAnnotation]: JSON.stringify(record),
	};
	if (!role.metadata?.annotations) return [{op: 'add', path: '/metadata/annotations', value: values}];
	return Object.entries(values).map(([key, value]) => ({op: 'add' as const, path: annotationPath(key), value}));
}

/** The API server's bound on a object's annotations, keys and values together (TotalAnnotationSizeLimitB). */
export const annotationsLimitBytes = 256 * 1024;

/** The bytes the role's annotations would take with the change record: over annotationsLimitBytes, the server refuses the patch. */
export function annotationBytesWithRecord(role: V1ClusterRole, operations: JsonPatchOperation[]): number {
	const annotations: Record<string, string> = {...role.metadata?.annotations};
	for (const operation of operations) {
		if (operation.op !== 'add' || !operation.path.startsWith('/metadata/annotations')) continue;
		if (operation.path === '/metadata/annotations') Object.assign(annotations, operation.value as Record<string, string>);
		else annotations[operation.path.slice('/metadata/annotations/'.length).replaceAll('~1', '/').replaceAll('~0', '~')] = String(operation.value);
	}
	return Object.entries(annotations).reduce((total, [key, value]) => total + Buffer.byteLength(key) + Buffer.byteLength(value), 0);
}

export function changeRecord(added: V1PolicyRule[], rulesAfter: V1PolicyRule[], daemonSet: string, dedicated?: ChangeRecord['dedicated']): ChangeRecord {
	const {version, commit} = versionInfo();
	return {added: added.map(jsonCopy), at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), by: `kubectl-multus ${version} (${commit})`, daemonSet, rulesAfter: rulesAfter.map(jsonCopy), ...(dedicated ? {dedicated} : {})};
}

/**
 * The record a patch of `role` leaves: this run's addition, and, when the role carries an earlier run's valid record
 * for the same DaemonSet, that record carried on (those of its additions still in the role, and `dedicated`: the role
 * is still one the doctor created). So one undo takes back everything the doctor added over its runs, and nothing
 * else; an earlier addition someone removed since is no longer the doctor's to take back.
 */
export function recordForPatch(role: V1ClusterRole, added: V1PolicyRule[], rulesAfter: V1PolicyRule[], daemonSet: string): ChangeRecord {
	const earlier = readRecord(role);
	if (earlier.state !== 'valid' || earlier.record.daemonSet !== daemonSet) return changeRecord(added, rulesAfter, daemonSet);
	const still = earlier.record.added.filter(rule => revertAddition(role.rules ?? [], [rule]).ok);
	return changeRecord([...still, ...added], rulesAfter, daemonSet, earlier.record.dedicated);
}

/** A change record as found on a role: none, one undo may act on, or one it must refuse (and why). */
export type RecordReading =
	| {state: 'none'}
	| {state: 'malformed'; reason: string}
	| {state: 'valid'; record: ChangeRecord};

/** Bounds on what a record may hold: larger is not something the doctor wrote (annotations total 256 KiB). */
const maxRecordChars = 262_144;
const maxRules = 5000;
const maxListEntries = 256;
const maxStringChars = 1024;
const ruleKeys = new Set(['apiGroups', 'resources', 'resourceNames', 'nonResourceURLs', 'verbs']);
const daemonSetName = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\/[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?$/;

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function boundedString(value: unknown, max = maxStringChars): value is string {
	return typeof value === 'string' && value.length <= max;
}

/** A PolicyRule exactly as the API defines one: only its five lists, each of strings; verbs not empty. */
function policyRuleProblem(value: unknown): string | undefined {
	if (!isObject(value)) return 'is not an object';
	const unknown = Object.keys(value).find(key => !ruleKeys.has(key));
	if (unknown !== undefined) return `has an unknown field ${JSON.stringify(unknown.slice(0, 40))}`;
	for (const key of ruleKeys) {
		const list = value[key];
		if (list === undefined || (list === null && key !== 'verbs')) continue;
		if (!Array.isArray(list) || list.length > maxListEntries || !list.every(entry => boundedString(entry))) return `has a ${key} that is not a list of strings`;
	}
	if (!Array.isArray(value['verbs']) || value['verbs'].length === 0) return 'has no verbs';
	return undefined;
}

const subjectKinds = new Set(['ServiceAccount', 'User', 'Group']);

/** `{binding, subjects}`: a binding name and at most a few subjects, each a kind, a name, for ServiceAccounts a namespace. */
function dedicatedProblem(value: unknown): string | undefined {
	if (!isObject(value)) return 'is not an object';
	if (!boundedString(value['binding'], 253) || value['binding'] === '') return 'binding is not a name';
	const subjects = value['subjects'];
	if (!Array.isArray(subjects) || subjects.length === 0 || subjects.length > 8) return 'subjects is not a short list';
	for (const subject of subjects) {
		if (!isObject(subject) || !subjectKinds.has(String(subject['kind'])) || !boundedString(subject['name'], 253)) return 'subjects has one that is not a subject';
		if (Object.keys(subject).some(key => !['kind', 'name', 'namespace', 'apiGroup'].includes(key))) return 'subjects has a subject with an unknown field';
		if (subject['namespace'] !== undefined && !boundedString(subject['namespace'], 63)) return 'subjects has a namespace that is not a name';
		if (subject['apiGroup'] !== undefined && !boundedString(subject['apiGroup'], 253)) return 'subjects has an apiGroup that is not a name';
	}
	return undefined;
}

function rulesProblem(value: unknown, field: string, allowEmpty: boolean): string | undefined {
	if (!Array.isArray(value)) return `${field} is not a list of rules`;
	if (value.length === 0 && !allowEmpty) return `${field} is empty`;
	if (value.length > maxRules) return `${field} has ${value.length} rules (more than ${maxRules})`;
	for (const [index, rule] of value.entries()) {
		const problem = policyRuleProblem(rule);
		if (problem) return `${field}[${index}] ${problem}`;
	}
	return undefined;
}

/**
 * The change record on a role, validated field by field: anyone who may patch a role can write this annotation,
 * so nothing in it is trusted, and a record that is not exactly what the doctor writes is refused with why.
 * (The previous-rules annotation is never read: undo computes the result from the role's rules now.)
 */
export function readRecord(role: V1ClusterRole): RecordReading {
	const text: unknown = role.metadata?.annotations?.[changeAnnotation];
	if (text === undefined) return {state: 'none'};
	const malformed = (reason: string): RecordReading => ({state: 'malformed', reason});
	if (typeof text !== 'string') return malformed('it is not text');
	if (text.length > maxRecordChars) return malformed(`it is ${text.length} characters long (more than ${maxRecordChars})`);
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		return malformed('it is not JSON');
	}
	if (!isObject(value)) return malformed(`it is ${value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`}, not an object`);
	if (!boundedString(value['daemonSet'], 317) || !daemonSetName.test(value['daemonSet'])) return malformed('its daemonSet is not NAMESPACE/NAME');
	if (!boundedString(value['at'], 64)) return malformed('its at is not a timestamp');
	if (!boundedString(value['by'], 256)) return malformed('its by is not a short text');
	const problem = rulesProblem(value['added'], 'added', false) ?? rulesProblem(value['rulesAfter'], 'rulesAfter', true);
	if (problem) return malformed(`its ${problem}`);
	const dedicated = value['dedicated'];
	if (dedicated !== undefined) {
		const reason = dedicatedProblem(dedicated);
		if (reason) return malformed(`its dedicated ${reason}`);
	}
	return {
		state: 'valid',
		record: {
			added: value['added'] as V1PolicyRule[],
			at: value['at'],
			by: value['by'],
			daemonSet: value['daemonSet'],
			rulesAfter: value['rulesAfter'] as V1PolicyRule[],
			...(dedicated === undefined ? {} : {dedicated: dedicated as NonNullable<ChangeRecord['dedicated']>}),
		},
	};
}

/** The same fix as a file for `kubectl auth reconcile -f -` (which appends missing rules and removes nothing). */
export function reconcileYaml(roleName: string, missing: V1PolicyRule[]): string {
	return stringify({
		apiVersion: 'rbac.authorization.k8s.io/v1',
		kind: 'ClusterRole',
		metadata: {name: roleName},
		rules: missing.map(rule => ({apiGroups: rule.apiGroups, resources: rule.resources, verbs: rule.verbs})),
	});
}

/**
 * The whole ClusterRole with the fix applied, for a GitOps repository or `kubectl apply -f` / `kubectl auth
 * reconcile -f`: name, labels and annotations (without kubectl's last-applied copy and the doctor's own
 * kubectl-multus.dev/ ones), aggregationRule if any,
 * then the rules. Server-owned metadata (uid, resourceVersion, managedFields, ...) is left out.
 */
export function roleManifest(role: V1ClusterRole, rulesAfter: V1PolicyRule[]): string {
	// The doctor's own annotations describe a change it made to this cluster (a record undo acts on): in a file
	// applied elsewhere, or kept in a repository, they would be a stale record.
	const annotations = Object.fromEntries(
		Object.entries(role.metadata?.annotations ?? {}).filter(([key]) => key !== 'kubectl.kubernetes.io/last-applied-configuration' && !key.startsWith(doctorAnnotationPrefix)),
	);
	const labels = role.metadata?.labels ?? {};
	const metadata = {
		name: role.metadata?.name,
		...(Object.keys(labels).length > 0 ? {labels} : {}),
		...(Object.keys(annotations).length > 0 ? {annotations} : {}),
	};
	// Through JSON: client-node's model objects become plain data, without undefined members.
	return stringify(JSON.parse(JSON.stringify({
		apiVersion: 'rbac.authorization.k8s.io/v1',
		kind: 'ClusterRole',
		metadata,
		...(role.aggregationRule ? {aggregationRule: role.aggregationRule} : {}),
		rules: rulesAfter,
	})) as unknown);
}

/** The JSON patch of the rules alone, for `kubectl patch clusterrole NAME --type=json --patch-file FILE`: no change
 * record and no resourceVersion guard (a file in a repository outlives any resourceVersion); the rule tests stay. */
export function rulesPatchJson(operations: JsonPatchOperation[]): string {
	return JSON.stringify(operations.filter(op => !op.path.startsWith('/metadata/')), null, 2) + '\n';
}
