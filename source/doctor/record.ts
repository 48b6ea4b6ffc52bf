import type {V1ClusterRole, V1PolicyRule} from '@kubernetes/client-node';
import {stringify} from 'yaml';
import type {JsonPatchOperation} from '../multus/rbac.js';
import {versionInfo} from '../version.js';

/** Annotations the doctor leaves on a ClusterRole it patched: what changed, when, by what, and how to undo. */
export const previousRulesAnnotation = 'kubectl-multus.dev/previous-rules';
export const changeAnnotation = 'kubectl-multus.dev/change';

export interface ChangeRecord {
	added: V1PolicyRule[];
	at: string;
	by: string;
	daemonSet: string;
	/** The rules right after our patch: undo refuses when the role no longer has exactly these. */
	rulesAfter: V1PolicyRule[];
}

/** The JSON pointer (RFC 6901) to one annotation of an object. */
export function annotationPath(key: string): string {
	return `/metadata/annotations/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
}

/** JSON patch operations that record the change on the role, to send in the same patch as the rules. */
export function recordOperations(role: V1ClusterRole, record: ChangeRecord, previousRules: V1PolicyRule[]): JsonPatchOperation[] {
	const values: Record<string, string> = {
		[previousRulesAnnotation]: JSON.stringify(previousRules),
		[changeAnnotation]: JSON.stringify(record),
	};
	if (!role.metadata?.annotations) return [{op: 'add', path: '/metadata/annotations', value: values}];
	return Object.entries(values).map(([key, value]) => ({op: 'add' as const, path: annotationPath(key), value}));
}

export function changeRecord(added: V1PolicyRule[], rulesAfter: V1PolicyRule[], daemonSet: string): ChangeRecord {
	const {version, commit} = versionInfo();
	return {added, at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), by: `kubectl-multus ${version} (${commit})`, daemonSet, rulesAfter};
}

/** The change recorded on a role, if the doctor patched it. */
export function readRecord(role: V1ClusterRole): {record: ChangeRecord; previousRules: V1PolicyRule[]} | undefined {
	const annotations = role.metadata?.annotations ?? {};
	const change = annotations[changeAnnotation];
	const previous = annotations[previousRulesAnnotation];
	if (!change || !previous) return undefined;
	try {
		return {record: JSON.parse(change) as ChangeRecord, previousRules: JSON.parse(previous) as V1PolicyRule[]};
	} catch {
		return undefined;
	}
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
 * reconcile -f`: name, labels and annotations (without kubectl's last-applied copy), aggregationRule if any,
 * then the rules. Server-owned metadata (uid, resourceVersion, managedFields, ...) is left out.
 */
export function roleManifest(role: V1ClusterRole, rulesAfter: V1PolicyRule[]): string {
	const annotations = Object.fromEntries(
		Object.entries(role.metadata?.annotations ?? {}).filter(([key]) => key !== 'kubectl.kubernetes.io/last-applied-configuration'),
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
