import type {V1ClusterRole, V1ClusterRoleBinding, V1ConfigMap, V1Container, V1DaemonSet, V1ObjectMeta} from '@kubernetes/client-node';
import type {MultusMode} from './requirements.js';
import {imageTag, resolveRelease, type ResolvedRelease} from './versions.js';

/** A DaemonSet recognised as Multus, with how we recognised it. */
export interface MultusDaemonSet {
	namespace: string;
	name: string;
	/**
	 * The DaemonSet's uid, when the server gave one: the same Multus whatever URL or context reached it (a fleet
	 * whose contexts reach one cluster twice fixes it once).
	 */
	uid?: string;
	mode: MultusMode;
	container: string;
	image: string;
	/** Image tag (e.g. snapshot-thick, v4.2.4-thick), or undefined when the image is pinned by digest only. */
	version: string | undefined;
	/** The Multus release the image runs, as read from its tag (what decides the daemon's informers and needs). */
	release: ResolvedRelease;
	serviceAccount: string;
	/** What identified it (image, labels, command), for the "found Multus" evidence line. */
	evidence: string[];
	/** Per-node certificate mode: the daemon authenticates as system:multus:<node>, not as the ServiceAccount. */
	perNodeCertificates: boolean;
	/** Whether the daemon's own start-up lines reach its pod's log (what the proof reads). */
	daemonLog: DaemonLogSettings;
}

/**
 * Whether multus's own logger writes the daemon's start-up lines (`multus-daemon started`, `API readiness check
 * done!`) where `kubectl logs` sees them: only with `"logToStderr": true` and a logLevel of verbose or debug in the
 * daemon config (multus's logger starts at panic level and, once the config is read, writes to stderr only if told
 * to: pkg/server/server.go). client-go's reflector lines go to stderr whatever the config says.
 */
export interface DaemonLogSettings {
	startupLines: 'visible' | 'hidden' | 'unknown';
	/** The ConfigMap (and key) the daemon config came from. */
	source?: string;
	/** Why the lines are hidden, naming the setting. */
	why?: string;
}

const daemonConfigKeys = ['socketDir', 'multusConfigFile', 'cniConfigDir', 'multusAutoconfigDir'];

/** Reads the daemon config among the mounted ConfigMaps' values (a JSON object with the daemon's keys). */
export function daemonLogSettings(configMaps: V1ConfigMap[]): DaemonLogSettings {
	for (const cm of configMaps) {
		for (const [key, value] of Object.entries(cm.data ?? {})) {
			let config: unknown;
			try {
				config = JSON.parse(value);
			} catch {
				continue;
			}
			if (typeof config !== 'object' || config === null || !daemonConfigKeys.some(name => name in config)) continue;
			const {logToStderr, logLevel} = config as {logToStderr?: unknown; logLevel?: unknown};
			const source = `ConfigMap ${cm.metadata?.name ?? ''} (${key})`;
			if (logToStderr !== true) {
				return {startupLines: 'hidden', source, why: `${source} does not set "logToStderr": true, so the daemon's own lines go to no log`};
			}
			if (logLevel !== 'verbose' && logLevel !== 'debug') {
				return {startupLines: 'hidden', source, why: `${source} sets logLevel ${typeof logLevel === 'string' ? JSON.stringify(logLevel) : '(none: panic)'}, which hides the daemon's start-up lines (they are verbose)`};
			}
			return {startupLines: 'visible', source};
		}
	}
	return {startupLines: 'unknown'};
}

const multusImage = /multus(-cni|-thick)?[:@/]|hardened-multus|multus-cni|multus-thick/i;
const multusLabelValues = new Set(['multus', 'rke2-multus']);

function commandLine(container: V1Container): string {
	return [...(container.command ?? []), ...(container.args ?? [])].join(' ');
}

/** Thick runs multus-daemon; thin runs thin_entrypoint or the old entrypoint.sh. Image tags break ties. */
export function multusMode(container: V1Container): MultusMode {
	const command = commandLine(container);
	if (/multus-daemon/.test(command)) return 'thick';
	if (/thin_entrypoint|entrypoint\.sh/.test(command)) return 'thin';
	return /thick/i.test(container.image ?? '') ? 'thick' : 'thin';
}

/** The daemon config's `"perNodeCertificate": {"enabled": true}`, in a config file or inline in a script. */
export function perNodeCertificateEnabled(text: string): boolean {
	return /"perNodeCertificate"\s*:\s*\{[^}]*"enabled"\s*:\s*true/.test(text);
}

/** Names of the ConfigMaps the DaemonSet's pods mount (where the thick daemon's config lives). */
export function mountedConfigMaps(ds: V1DaemonSet): string[] {
	const names = (ds.spec?.template.spec?.volumes ?? []).flatMap(volume => [
		...(volume.configMap?.name ? [volume.configMap.name] : []),
		...(volume.projected?.sources ?? []).flatMap(source => (source.configMap?.name ? [source.configMap.name] : [])),
	]);
	return [...new Set(names)];
}

/**
 * Recognises a Multus DaemonSet by image, labels, container name or command; undefined when it is not one.
 * `configMaps` are those it mounts (see mountedConfigMaps), read for the per-node certificate setting.
 */
export function recogniseMultus(ds: V1DaemonSet, configMaps: V1ConfigMap[] = []): MultusDaemonSet | undefined {
	const spec = ds.spec?.template.spec;
	const containers = spec?.containers ?? [];
	const evidence: string[] = [];
	let container = containers.find(c => multusImage.test(c.image ?? ''));
	if (container) evidence.push(`image ${container.image}`);
	const labels = {...ds.metadata?.labels, ...ds.spec?.template.metadata?.labels};
	const labelHit = ['app', 'name', 'app.kubernetes.io/name'].find(key => multusLabelValues.has(labels[key] ?? ''));
	if (labelHit) evidence.push(`label ${labelHit}=${labels[labelHit]}`);
	const byName = containers.find(c => c.name === 'kube-multus' || c.name === 'kube-rke2-multus');
	if (byName) evidence.push(`container ${byName.name}`);
	const byCommand = containers.find(c => /multus-daemon|thin_entrypoint/.test(commandLine(c)));
	if (byCommand) evidence.push(`command ${commandLine(byCommand).split(' ')[0]}`);
	container ??= byName ?? byCommand;
	// A label alone is weak (any app can be called multus); require something about the container too.
	if (!container) return undefined;
	return describeMultus(ds, container, evidence, configMaps);
}

/**
 * A DaemonSet taken as Multus (recognised, or named by the user) described from `container`: its mode, image,
 * version, ServiceAccount and per-node certificate setting, read the same way whichever way it was found.
 */
export function describeMultus(ds: V1DaemonSet, container: V1Container, evidence: string[], configMaps: V1ConfigMap[] = []): MultusDaemonSet {
	const spec = ds.spec?.template.spec;
	const containers = spec?.containers ?? [];
	const image = container.image ?? '';
	const mounted = new Set(mountedConfigMaps(ds));
	const perNodeCertificates =
		containers.some(c => perNodeCertificateEnabled(commandLine(c))) ||
		configMaps.some(cm => mounted.has(cm.metadata?.name ?? '') && Object.values(cm.data ?? {}).some(perNodeCertificateEnabled));
	return {
		namespace: ds.metadata?.namespace ?? '',
		name: ds.metadata?.name ?? '',
		...(ds.metadata?.uid ? {uid: ds.metadata.uid} : {}),
		mode: multusMode(container),
		container: container.name,
		image,
		version: imageTag(image),
		release: resolveRelease(image),
		serviceAccount: spec?.serviceAccountName || spec?.serviceAccount || 'default',
		evidence,
		perNodeCertificates,
		daemonLog: daemonLogSettings(configMaps.filter(cm => mounted.has(cm.metadata?.name ?? ''))),
	};
}

/** The user and groups the API server sees for a ServiceAccount token. */
export function serviceAccountIdentity(namespace: string, name: string): {user: string; groups: string[]} {
	return {
		user: `system:serviceaccount:${namespace}:${name}`,
		groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
	};
}

/** The group every per-node Multus certificate carries (the certificate's organisation). */
export const perNodeCertificateGroup = 'system:multus';

/** The user and groups of a daemon with per-node certificates on `node` (CN system:multus:<node>, O system:multus). */
export function perNodeCertificateIdentity(node: string): {user: string; groups: string[]} {
	return {user: `${perNodeCertificateGroup}:${node}`, groups: [perNodeCertificateGroup, 'system:authenticated']};
}

/** Groups that every authenticated user or every ServiceAccount is in: a role bound to one is not Multus's own. */
export function isSharedGroup(group: string): boolean {
	return /^system:(authenticated|unauthenticated|serviceaccounts(:.*)?)$/.test(group);
}

/** A binding that grants the daemon's identity a ClusterRole, and how it names that identity. */
export interface RoleGrant {
	binding: string;
	role: string;
	/** How the binding reaches the identity: directly, or through a group it belongs to. */
	via: string;
	/** Reached only through a group shared by every user or ServiceAccount (never a role to patch). */
	shared: boolean;
}

/**
 * ClusterRoleBindings that really name this user (a ServiceAccount's user, or system:multus:<node>) or one of its
 * groups, never by name guessing: a binding called "multus" may point at another namespace's ServiceAccount
 * (multus-cni #667).
 */
export function grantsForIdentity(bindings: V1ClusterRoleBinding[], identity: {user: string; groups: string[]}): RoleGrant[] {
	const serviceAccount = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(identity.user);
	const grants: RoleGrant[] = [];
	for (const binding of bindings) {
		if (binding.roleRef.kind !== 'ClusterRole') continue;
		for (const subject of binding.subjects ?? []) {
			let via: string | undefined;
			let shared = false;
			if (serviceAccount && subject.kind === 'ServiceAccount' && subject.name === serviceAccount[2] && subject.namespace === serviceAccount[1]) {
				via = `ServiceAccount ${serviceAccount[1]}:${serviceAccount[2]}`;
			} else if (subject.kind === 'Group' && identity.groups.includes(subject.name)) {
				via = `Group ${subject.name}`;
				shared = isSharedGroup(subject.name);
			} else if (subject.kind === 'User' && subject.name === identity.user) {
				via = `User ${subject.name}`;
			}
			if (via) {
				grants.push({binding: binding.metadata?.name ?? '', role: binding.roleRef.name, via, shared});
				break;
			}
		}
	}
	return grants;
}

/** grantsForIdentity for a ServiceAccount's token. */
export function grantsForServiceAccount(bindings: V1ClusterRoleBinding[], namespace: string, name: string): RoleGrant[] {
	return grantsForIdentity(bindings, serviceAccountIdentity(namespace, name));
}

/** Bindings that look like Multus's but name a different ServiceAccount: the #667 trap, worth a warning. */
export function lookalikeBindings(bindings: V1ClusterRoleBinding[], namespace: string, name: string): string[] {
	const notes: string[] = [];
	for (const binding of bindings) {
		for (const subject of binding.subjects ?? []) {
			if (subject.kind !== 'ServiceAccount' || subject.name !== name || subject.namespace === namespace) continue;
			notes.push(
				`ClusterRoleBinding ${binding.metadata?.name} binds ${binding.roleRef.name} to ServiceAccount ${subject.namespace}:${subject.name}, not ${namespace}:${name}`,
			);
		}
	}
	return notes;
}

/** Who would revert a manual change to this object, if anyone. */
export interface Owner {
	kind: 'helm' | 'helm-controller' | 'operator' | 'argocd' | 'flux' | 'owner-reference';
	name: string;
	/** Where to fix it instead of patching the object. */
	fix: string;
}

/** Reads the labels, annotations and ownerReferences that tools use to mark what they manage. */
export function managedBy(meta: V1ObjectMeta | undefined): Owner | undefined {
	const labels = meta?.labels ?? {};
	const annotations = meta?.annotations ?? {};
	const release = annotations['meta.helm.sh/release-name'];
	if (annotations['objectset.rio.cattle.io/owner-name'] || annotations['helmcharts.helm.cattle.io/configHash'] || /^rke2-/.test(release ?? '')) {
		const chart = annotations['objectset.rio.cattle.io/owner-name'] ?? release ?? 'rke2-multus';
		return {
			kind: 'helm-controller',
			name: `HelmChart ${chart}`,
			fix: `set the values through a HelmChartConfig named ${chart} (for thick: thickPlugin.enabled with a chart that grants list/watch), or upgrade to a chart released after 2025-06-27, which grants pods list and watch`,
		};
	}
	if (labels['app.kubernetes.io/managed-by'] === 'Helm' || release) {
		return {
			kind: 'helm',
			name: `Helm release ${release ?? '(unknown)'}${annotations['meta.helm.sh/release-namespace'] ? ` in ${annotations['meta.helm.sh/release-namespace']}` : ''}`,
			fix: 'add list and watch on pods to the chart\'s ClusterRole (values or template) and run helm upgrade, or upgrade to a chart built for multus v4.1+',
		};
	}
	if (labels['argocd.argoproj.io/instance'] || annotations['argocd.argoproj.io/tracking-id']) {
		return {
			kind: 'argocd',
			name: `Argo CD application ${labels['argocd.argoproj.io/instance'] ?? annotations['argocd.argoproj.io/tracking-id']?.split(':')[0]}`,
			fix: 'change the ClusterRole in the Git repository Argo CD syncs from (kubectl multus doctor --emit manifest prints it)',
		};
	}
	if (labels['kustomize.toolkit.fluxcd.io/name'] || labels['helm.toolkit.fluxcd.io/name']) {
		return {
			kind: 'flux',
			name: `Flux ${labels['kustomize.toolkit.fluxcd.io/name'] ? 'Kustomization' : 'HelmRelease'} ${labels['kustomize.toolkit.fluxcd.io/name'] ?? labels['helm.toolkit.fluxcd.io/name']}`,
			fix: 'change the ClusterRole in the Git repository Flux reconciles from (kubectl multus doctor --emit manifest prints it)',
		};
	}
	const operatorLabel = Object.keys(labels).find(key => key.startsWith('networkaddonsoperator.network.kubevirt.io') || key === 'networkoperator.openshift.io/managed');
	if (operatorLabel || meta?.namespace === 'openshift-multus') {
		return {
			kind: 'operator',
			name: operatorLabel?.startsWith('networkaddons') ? 'KubeVirt cluster-network-addons-operator' : 'OpenShift Cluster Network Operator',
			fix: 'upgrade the operator to a release that ships multus v4.1+ RBAC; the operator reverts manual edits',
		};
	}
	const controller = meta?.ownerReferences?.find(ref => ref.controller) ?? meta?.ownerReferences?.[0];
	if (controller?.kind === 'NicClusterPolicy') {
		return {
			kind: 'operator',
			name: `NVIDIA network-operator (NicClusterPolicy ${controller.name})`,
			fix: 'change the NicClusterPolicy\'s secondaryNetwork.multus or upgrade the network-operator; it reverts manual edits',
		};
	}
	if (controller?.kind === 'Network' && controller.apiVersion.startsWith('operator.openshift.io/')) {
		return {
			kind: 'operator',
			name: 'OpenShift Cluster Network Operator',
			fix: 'upgrade OpenShift (the Cluster Network Operator owns Multus\'s RBAC and reverts manual edits)',
		};
	}
	if (controller) {
		return {
			kind: 'owner-reference',
			name: `${controller.kind} ${controller.name}`,
			fix: `change the ${controller.kind} that owns it; its controller reverts manual edits`,
		};
	}
	return undefined;
}

/** `kubectl auth reconcile`'s opt-out: such roles are never written. */
export function optedOutOfAutoupdate(role: V1ClusterRole): boolean {
	return role.metadata?.annotations?.['rbac.authorization.kubernetes.io/autoupdate'] === 'false';
}
