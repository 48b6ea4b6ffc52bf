import type {V1ClusterRole, V1ClusterRoleBinding, V1Container, V1DaemonSet, V1ObjectMeta} from '@kubernetes/client-node';
import type {MultusMode} from './requirements.js';

/** A DaemonSet recognised as Multus, with how we recognised it. */
export interface MultusDaemonSet {
	namespace: string;
	name: string;
	mode: MultusMode;
	container: string;
	image: string;
	/** Image tag (e.g. snapshot-thick, v4.2.4-thick), or undefined when the image is pinned by digest only. */
	version: string | undefined;
	serviceAccount: string;
	/** What identified it (image, labels, command), for the "found Multus" evidence line. */
	evidence: string[];
	/** Per-node certificate mode: the daemon authenticates as system:multus:<node>, not as the ServiceAccount. */
	perNodeCertificates: boolean;
}

const multusImage = /multus(-cni|-thick)?[:@/]|hardened-multus|multus-cni|multus-thick/i;
const multusLabelValues = new Set(['multus', 'rke2-multus']);

function commandLine(container: V1Container): string {
	return [...(container.command ?? []), ...(container.args ?? [])].join(' ');
}

function imageTag(image: string): string | undefined {
	const withoutDigest = image.split('@')[0] ?? image;
	const lastSlash = withoutDigest.lastIndexOf('/');
	const colon = withoutDigest.indexOf(':', lastSlash + 1);
	return colon === -1 ? (image.includes('@') ? undefined : 'latest') : withoutDigest.slice(colon + 1);
}

/** Thick runs multus-daemon; thin runs thin_entrypoint or the old entrypoint.sh. Image tags break ties. */
export function multusMode(container: V1Container): MultusMode {
	const command = commandLine(container);
	if (/multus-daemon/.test(command)) return 'thick';
	if (/thin_entrypoint|entrypoint\.sh/.test(command)) return 'thin';
	return /thick/i.test(container.image ?? '') ? 'thick' : 'thin';
}

/** Recognises a Multus DaemonSet by image, labels, container name or command; undefined when it is not one. */
export function recogniseMultus(ds: V1DaemonSet): MultusDaemonSet | undefined {
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
	const image = container.image ?? '';
	const perNodeCertificates = containers.some(c => /perNodeCertificate|per-node-certificate/i.test(commandLine(c)));
	return {
		namespace: ds.metadata?.namespace ?? '',
		name: ds.metadata?.name ?? '',
		mode: multusMode(container),
		container: container.name,
		image,
		version: imageTag(image),
		serviceAccount: spec?.serviceAccountName || spec?.serviceAccount || 'default',
		evidence,
		perNodeCertificates,
	};
}

/** The user and groups the API server sees for a ServiceAccount token. */
export function serviceAccountIdentity(namespace: string, name: string): {user: string; groups: string[]} {
	return {
		user: `system:serviceaccount:${namespace}:${name}`,
		groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
	};
}

/** A binding that grants the ServiceAccount a ClusterRole, and how it names the ServiceAccount. */
export interface RoleGrant {
	binding: string;
	role: string;
	/** How the binding reaches the ServiceAccount: directly, or through a group it belongs to. */
	via: string;
}

/**
 * ClusterRoleBindings that really name this ServiceAccount (or a group it is in), never by name guessing:
 * a binding called "multus" may point at another namespace's ServiceAccount (multus-cni #667).
 */
export function grantsForServiceAccount(bindings: V1ClusterRoleBinding[], namespace: string, name: string): RoleGrant[] {
	const {groups} = serviceAccountIdentity(namespace, name);
	const grants: RoleGrant[] = [];
	for (const binding of bindings) {
		if (binding.roleRef.kind !== 'ClusterRole') continue;
		for (const subject of binding.subjects ?? []) {
			let via: string | undefined;
			if (subject.kind === 'ServiceAccount' && subject.name === name && subject.namespace === namespace) {
				via = `ServiceAccount ${namespace}:${name}`;
			} else if (subject.kind === 'Group' && groups.includes(subject.name)) {
				via = `Group ${subject.name}`;
			} else if (subject.kind === 'User' && subject.name === `system:serviceaccount:${namespace}:${name}`) {
				via = `User ${subject.name}`;
			}
			if (via) {
				grants.push({binding: binding.metadata?.name ?? '', role: binding.roleRef.name, via});
				break;
			}
		}
	}
	return grants;
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
