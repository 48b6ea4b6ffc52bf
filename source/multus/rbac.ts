import type {V1ClusterRole, V1LabelSelector, V1PolicyRule} from '@kubernetes/client-node';

/*
 * RBAC rule algebra, after Kubernetes' own: "covers" and "breakdown" from
 * k8s.io/component-helpers/auth/rbac/validation, and the union mode of `kubectl auth reconcile`
 * (missing rules are appended, nothing is ever removed). Pure: no I/O, no clocks.
 */

/** One RFC 6902 operation, limited to the two this module emits. */
export type JsonPatchOperation =
	| {op: 'test'; path: string; value: string | V1PolicyRule | null}
	| {op: 'add' | 'replace'; path: string; value: string | string[] | V1PolicyRule | V1PolicyRule[] | Record<string, string>}
	| {op: 'test'; path: string; value: V1PolicyRule[]}
	| {op: 'remove'; path: string};

/** One change a plan makes to a role's rules. */
export type RuleAddition =
	| {kind: 'append-verbs'; ruleIndex: number; verbs: string[]}
	| {kind: 'append-rule'; rule: V1PolicyRule};

export interface RolePatchPlan {
	additions: RuleAddition[];
	/** The needed atoms the role does not cover, compacted; what the additions grant, exactly. */
	missing: V1PolicyRule[];
	before: V1PolicyRule[];
	after: V1PolicyRule[];
	/** RFC 6902 ops for a ClusterRole; empty when there is nothing to add. */
	jsonPatch: JsonPatchOperation[];
	empty: boolean;
}

const wildcard = '*';

/** A single request a rule may allow: one group, resource, verb and at most one name, or one URL and verb. */
type Atom =
	| {kind: 'resource'; group: string; resource: string; verb: string; name: string | undefined}
	| {kind: 'url'; url: string; verb: string};

function list(values: readonly string[] | null | undefined): readonly string[] {
	return values ?? [];
}

function atomsOf(rule: V1PolicyRule): Atom[] {
	const atoms: Atom[] = [];
	const names = list(rule.resourceNames);
	for (const group of list(rule.apiGroups)) {
		for (const resource of list(rule.resources)) {
			for (const verb of list(rule.verbs)) {
				if (names.length === 0) {
					atoms.push({kind: 'resource', group, resource, verb, name: undefined});
				} else {
					for (const name of names) atoms.push({kind: 'resource', group, resource, verb, name});
				}
			}
		}
	}

	for (const url of list(rule.nonResourceURLs)) {
		for (const verb of list(rule.verbs)) atoms.push({kind: 'url', url, verb});
	}

	return atoms;
}

function atomToRule(atom: Atom): V1PolicyRule {
	if (atom.kind === 'url') return {nonResourceURLs: [atom.url], verbs: [atom.verb]};
	return atom.name === undefined
		? {apiGroups: [atom.group], resources: [atom.resource], verbs: [atom.verb]}
		: {apiGroups: [atom.group], resources: [atom.resource], resourceNames: [atom.name], verbs: [atom.verb]};
}

function atomKey(atom: Atom): string {
	return atom.kind === 'url'
		? JSON.stringify(['url', atom.url, atom.verb])
		: JSON.stringify(['resource', atom.group, atom.resource, atom.verb, atom.name ?? null]);
}

function resourceMatches(owned: readonly string[], resource: string): boolean {
	if (owned.includes(wildcard) || owned.includes(resource)) return true;
	const slash = resource.indexOf('/');
	// `*/status` grants the status subresource of every resource, never the resource itself.
	return slash >= 0 && owned.includes(`*/${resource.slice(slash + 1)}`);
}

function urlMatches(owned: readonly string[], url: string): boolean {
	return owned.some(path => path === url || (path.endsWith('*') && url.startsWith(path.replace(/\*+$/, ''))));
}

/*
 * Resource atoms follow the authorizer and Covers alike. For URL atoms we follow the authorizer, which ignores
 * resourceNames on non-resource rules (Covers would not), so the answer matches a SubjectAccessReview.
 */
function ownerCoversAtom(owner: V1PolicyRule, atom: Atom): boolean {
	const verbs = list(owner.verbs);
	if (!verbs.includes(wildcard) && !verbs.includes(atom.verb)) return false;
	if (atom.kind === 'url') return urlMatches(list(owner.nonResourceURLs), atom.url);
	const groups = list(owner.apiGroups);
	if (!groups.includes(wildcard) && !groups.includes(atom.group)) return false;
	if (!resourceMatches(list(owner.resources), atom.resource)) return false;
	const names = list(owner.resourceNames);
	if (names.length === 0) return true;
	return atom.name !== undefined && names.includes(atom.name);
}

function uniqueAtoms(atoms: Atom[]): Atom[] {
	const seen = new Map<string, Atom>();
	for (const atom of atoms) if (!seen.has(atomKey(atom))) seen.set(atomKey(atom), atom);
	return [...seen.values()];
}

/** Split a rule into single (group, resource, verb[, name]) and (URL, verb) rules, like Kubernetes' BreakdownRule. */
export function breakdownRule(rule: V1PolicyRule): V1PolicyRule[] {
	return atomsOf(rule).map(atom => atomToRule(atom));
}

/** True when every request `requested` describes is allowed by the single rule `owner`. */
export function ruleCovers(owner: V1PolicyRule, requested: V1PolicyRule): boolean {
	return atomsOf(requested).every(atom => ownerCoversAtom(owner, atom));
}

/** True when every request `requested` describes is allowed by at least one of `owners`. */
export function rulesCover(owners: V1PolicyRule[], requested: V1PolicyRule): boolean {
	return atomsOf(requested).every(atom => owners.some(owner => ownerCoversAtom(owner, atom)));
}

function uncoveredAtoms(owners: V1PolicyRule[], requested: V1PolicyRule[]): Atom[] {
	return uniqueAtoms(requested.flatMap(rule => atomsOf(rule))).filter(
		atom => !owners.some(owner => ownerCoversAtom(owner, atom)),
	);
}

/** The needed requests `granted` does not allow, regrouped compactly (each rule is exactly its lists' product). */
export function missingRules(granted: V1PolicyRule[], needed: V1PolicyRule[]): V1PolicyRule[] {
	return compactAtoms(uncoveredAtoms(granted, needed));
}

/** What `granted` allows beyond `needed` (reconcile's "extra rules"): shown as kept, never removed. */
export function extraRules(granted: V1PolicyRule[], needed: V1PolicyRule[]): V1PolicyRule[] {
	return compactAtoms(uncoveredAtoms(needed, granted));
}

// ---- compaction: atoms back into few rules, each exactly the product of its lists

interface Draft {
	apiGroups: string[];
	resources: string[];
	resourceNames: string[];
	verbs: string[];
}

function sorted(values: Iterable<string>): string[] {
	return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function compareLists(a: readonly string[], b: readonly string[]): number {
	for (let index = 0; index < Math.min(a.length, b.length); index++) {
		const left = a[index] ?? '';
		const right = b[index] ?? '';
		if (left !== right) return left < right ? -1 : 1;
	}

	return a.length - b.length;
}

const draftFields: Array<keyof Draft> = ['apiGroups', 'resources', 'resourceNames', 'verbs'];

/** Merge drafts that agree on everything but `field`, uniting that field; the product stays exact. */
function mergeOn(drafts: Draft[], field: keyof Draft): Draft[] {
	const merged = new Map<string, Draft>();
	for (const draft of drafts) {
		const key = JSON.stringify(draftFields.filter(other => other !== field).map(other => draft[other]));
		const existing = merged.get(key);
		if (existing) existing[field] = sorted([...existing[field], ...draft[field]]);
		else merged.set(key, {...draft});
	}

	return [...merged.values()];
}

function compactAtoms(atoms: Atom[]): V1PolicyRule[] {
	const resourceAtoms = atoms.filter(atom => atom.kind === 'resource');
	// A nameless request already grants the named ones with the same group, resource and verb.
	const nameless = new Set(
		resourceAtoms.filter(atom => atom.name === undefined).map(atom => atomKey({...atom, name: undefined})),
	);
	const cells = new Map<string, {group: string; resource: string; name: string | undefined; verbs: Set<string>}>();
	for (const atom of resourceAtoms) {
		if (atom.name !== undefined && nameless.has(atomKey({...atom, name: undefined}))) continue;
		const key = JSON.stringify([atom.group, atom.resource, atom.name ?? null]);
		const cell = cells.get(key) ?? {group: atom.group, resource: atom.resource, name: atom.name, verbs: new Set()};
		cell.verbs.add(atom.verb);
		cells.set(key, cell);
	}

	let drafts: Draft[] = [...cells.values()].map(cell => ({
		apiGroups: [cell.group],
		resources: [cell.resource],
		resourceNames: cell.name === undefined ? [] : [cell.name],
		verbs: sorted(cell.verbs),
	}));
	const named = drafts.filter(draft => draft.resourceNames.length > 0);
	drafts = [...drafts.filter(draft => draft.resourceNames.length === 0), ...mergeOn(named, 'resourceNames')];
	drafts = mergeOn(mergeOn(drafts, 'resources'), 'apiGroups');
	drafts.sort(
		(a, b) =>
			compareLists(a.apiGroups, b.apiGroups) ||
			compareLists(a.resources, b.resources) ||
			compareLists(a.resourceNames, b.resourceNames) ||
			compareLists(a.verbs, b.verbs),
	);

	const urlVerbs = new Map<string, Set<string>>();
	for (const atom of atoms) {
		if (atom.kind !== 'url') continue;
		const verbs = urlVerbs.get(atom.url) ?? new Set<string>();
		verbs.add(atom.verb);
		urlVerbs.set(atom.url, verbs);
	}

	const byVerbs = new Map<string, {urls: string[]; verbs: string[]}>();
	for (const [url, verbSet] of urlVerbs) {
		const verbs = sorted(verbSet);
		const key = JSON.stringify(verbs);
		const entry = byVerbs.get(key) ?? {urls: [], verbs};
		entry.urls.push(url);
		byVerbs.set(key, entry);
	}

	const urlRules = [...byVerbs.values()]
		.map(entry => ({nonResourceURLs: sorted(entry.urls), verbs: entry.verbs}))
		.sort((a, b) => compareLists(a.nonResourceURLs, b.nonResourceURLs) || compareLists(a.verbs, b.verbs));

	return [
		...drafts.map(draft =>
			draft.resourceNames.length === 0
				? {apiGroups: draft.apiGroups, resources: draft.resources, verbs: draft.verbs}
				: {
						apiGroups: draft.apiGroups,
						resources: draft.resources,
						resourceNames: draft.resourceNames,
						verbs: draft.verbs,
					},
		),
		...urlRules,
	];
}

// ---- the patch plan

function sameSet(a: readonly string[], b: readonly string[]): boolean {
	const left = new Set(a);
	const right = new Set(b);
	return left.size === right.size && [...left].every(value => right.has(value));
}

/*
 * An existing rule may take the missing verbs only if that grants exactly the missing atoms: the same groups
 * and resources (or URLs) as a set, and nothing else that the new verbs would also reach.
 */
function takesVerbsExactly(rule: V1PolicyRule, missing: V1PolicyRule): boolean {
	if (list(rule.resourceNames).length > 0 || list(missing.resourceNames).length > 0) return false;
	if (list(missing.nonResourceURLs).length > 0) {
		return (
			list(rule.apiGroups).length === 0 &&
			list(rule.resources).length === 0 &&
			sameSet(list(rule.nonResourceURLs), list(missing.nonResourceURLs))
		);
	}

	return (
		list(rule.nonResourceURLs).length === 0 &&
		sameSet(list(rule.apiGroups), list(missing.apiGroups)) &&
		sameSet(list(rule.resources), list(missing.resources))
	);
}

/**
 * The exact JSON value of a rule, as the apiserver holds it (undefined members dropped), its fields in one order
 * (the API's, alphabetical) whatever order they were read in: what is written (patches, change records) reads the same.
 */
export function jsonCopy(rule: V1PolicyRule): V1PolicyRule {
	const copy = JSON.parse(JSON.stringify(rule)) as Record<string, unknown>;
	const ordered: Record<string, unknown> = {};
	for (const key of ['apiGroups', 'nonResourceURLs', 'resourceNames', 'resources', 'verbs']) if (key in copy) ordered[key] = copy[key];
	for (const key of Object.keys(copy).sort()) if (!(key in ordered)) ordered[key] = copy[key];
	return ordered as unknown as V1PolicyRule;
}

/** The rules after applying a plan's additions. Unchanged rules are the same objects; nothing is removed. */
export function applyPlan(
	rules: V1PolicyRule[] | null | undefined,
	plan: Pick<RolePatchPlan, 'additions'>,
): V1PolicyRule[] {
	const after = [...(rules ?? [])];
	for (const addition of plan.additions) {
		if (addition.kind === 'append-rule') {
			after.push(addition.rule);
			continue;
		}

		const rule = after[addition.ruleIndex];
		if (!rule) throw new RangeError(`plan appends verbs to rule ${addition.ruleIndex}, which does not exist`);
		after[addition.ruleIndex] = {...rule, verbs: [...list(rule.verbs), ...addition.verbs]};
	}

	return after;
}

/**
 * Plan the smallest union-only change (as `kubectl auth reconcile` without --remove-extra-permissions) that makes
 * `rules` cover `needed`: append verbs to a rule when that grants exactly the missing atoms, otherwise append a
 * new minimal rule. Existing grants are never removed or widened beyond the missing atoms. With `resourceVersion`
 * the JSON patch first tests it, so a concurrent edit makes the patch fail instead of applying blind.
 */
export function planRolePatch(
	rules: V1PolicyRule[] | null | undefined,
	needed: V1PolicyRule[],
	resourceVersion?: string,
): RolePatchPlan {
	const before = rules ?? [];
	const missing = missingRules(before, needed);
	const targeted = new Set<number>();
	const additions: RuleAddition[] = [];
	for (const rule of missing) {
		const ruleIndex = before.findIndex((existing, index) => !targeted.has(index) && takesVerbsExactly(existing, rule));
		const existingVerbs = list(before[ruleIndex]?.verbs);
		const verbs = rule.verbs.filter(verb => !existingVerbs.includes(verb));
		if (ruleIndex >= 0 && verbs.length > 0) {
			targeted.add(ruleIndex);
			additions.push({kind: 'append-verbs', ruleIndex, verbs});
		} else {
			additions.push({kind: 'append-rule', rule});
		}
	}

	const after = applyPlan(before, {additions});
	const empty = additions.length === 0;
	const jsonPatch: JsonPatchOperation[] = [];
	if (!empty) {
		if (resourceVersion !== undefined) {
			jsonPatch.push({op: 'test', path: '/metadata/resourceVersion', value: resourceVersion});
		}

		if (Array.isArray(rules)) {
			for (const addition of additions) jsonPatch.push(...additionOps(before, addition));
		} else {
			// The apiserver serialises a ClusterRole without rules as `"rules": null`; its JSON patch treats a
			// missing member as null too, so this test also guards against rules appearing meanwhile.
			jsonPatch.push(
				{op: 'test', path: '/rules', value: null},
				{op: 'add', path: '/rules', value: after.map(jsonCopy)},
			);
		}
	}

	return {additions, missing, before, after, jsonPatch, empty};
}

function additionOps(before: V1PolicyRule[], addition: RuleAddition): JsonPatchOperation[] {
	if (addition.kind === 'append-rule') return [{op: 'add', path: '/rules/-', value: jsonCopy(addition.rule)}];
	const rule = before[addition.ruleIndex];
	if (!rule) return [];
	const path = `/rules/${addition.ruleIndex}`;
	// The test pins the whole rule, so the verbs land on the rule we computed them for or not at all.
	const ops: JsonPatchOperation[] = [{op: 'test', path, value: jsonCopy(rule)}];
	if (Array.isArray(rule.verbs)) {
		for (const verb of addition.verbs) ops.push({op: 'add', path: `${path}/verbs/-`, value: verb});
	} else {
		ops.push({op: 'add', path: `${path}/verbs`, value: [...addition.verbs]});
	}

	return ops;
}

// ---- presentation

/** One line, kubectl-ish: `pods, pods/status [""]: get, list, watch`. */
export function describeRule(rule: V1PolicyRule): string {
	const parts: string[] = [];
	const resources = list(rule.resources);
	const groups = list(rule.apiGroups);
	if (resources.length > 0 || groups.length > 0) {
		const names = list(rule.resourceNames);
		const named = names.length > 0 ? ` named ${names.map(name => JSON.stringify(name)).join(', ')}` : '';
		const what = resources.length > 0 ? resources.join(', ') : '(no resources)';
		parts.push(`${what} [${groups.map(group => JSON.stringify(group)).join(', ')}]${named}`);
	}

	const urls = list(rule.nonResourceURLs);
	if (urls.length > 0) parts.push(urls.join(', '));
	const verbs = list(rule.verbs);
	return `${parts.length > 0 ? parts.join(' + ') : '(nothing)'}: ${verbs.length > 0 ? verbs.join(', ') : '(no verbs)'}`;
}

// ---- aggregation

function selectorMatches(selector: V1LabelSelector, labels: Readonly<Record<string, string>>): boolean {
	const has = (key: string) => Object.hasOwn(labels, key);
	for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
		if (!has(key) || labels[key] !== value) return false;
	}

	for (const requirement of selector.matchExpressions ?? []) {
		const values = list(requirement.values);
		const present = has(requirement.key);
		const value = labels[requirement.key];
		switch (requirement.operator) {
			case 'In': {
				if (!present || value === undefined || !values.includes(value)) return false;
				break;
			}

			case 'NotIn': {
				if (present && value !== undefined && values.includes(value)) return false;
				break;
			}

			case 'Exists': {
				if (!present) return false;
				break;
			}

			case 'DoesNotExist': {
				if (present) return false;
				break;
			}

			default: {
				// The apiserver rejects unknown operators; a selector we cannot read selects nothing.
				return false;
			}
		}
	}

	return true;
}

/**
 * The ClusterRoles whose rules the aggregation controller copies into `aggregate` (labels matching any of its
 * selectors, itself excluded), sorted by name. Patch one of these, never the aggregate: the controller
 * overwrites the aggregate's rules.
 */
export function aggregationSources(aggregate: V1ClusterRole, all: V1ClusterRole[]): V1ClusterRole[] {
	const selectors = aggregate.aggregationRule?.clusterRoleSelectors ?? [];
	const self = aggregate.metadata?.name;
	return all
		.filter(role => role.metadata?.name !== self)
		.filter(role => selectors.some(selector => selectorMatches(selector, role.metadata?.labels ?? {})))
		.sort((a, b) => compareLists([a.metadata?.name ?? ''], [b.metadata?.name ?? '']));
}
