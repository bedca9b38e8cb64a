/**
 * The provisioning marker: how a read-back tells "our" group from a foreign one that holds the
 * same GroupId. It lives at the end of the group's Introduction because create_group accepts
 * that field and get_group_info returns it on every app with no console setup (AppDefinedData
 * would be cleaner but must be enabled per app in the console first).
 *
 * Trade-off: the owner can edit the Introduction; one who removes the marker turns the next
 * re-run into a CONFLICT (reported, never overwritten), which is the safe side to fail on.
 */

/** Longest marker, in bytes; it takes room from the 240-byte Introduction. */
export const MARKER_MAX_BYTES = 64;

/**
 * The tag appended to the Introduction.
 *
 * @example
 * ```ts
 * markerTag("tp:tenant-42"); // "[tp:tenant-42]"
 * ```
 */
export function markerTag(marker: string): string {
  return `[${marker}]`;
}

/**
 * The Introduction to send: the caller's text (if any), a newline, then the marker tag.
 *
 * @example
 * ```ts
 * markedIntroduction("Team chat", "tp:tenant-42"); // "Team chat\n[tp:tenant-42]"
 * ```
 */
export function markedIntroduction(introduction: string | undefined, marker: string): string {
  return introduction ? `${introduction}\n${markerTag(marker)}` : markerTag(marker);
}

/**
 * True when a read-back Introduction carries this marker.
 *
 * @example
 * ```ts
 * hasMarker("Team chat\n[tp:tenant-42]", "tp:tenant-42"); // true
 * ```
 */
export function hasMarker(introduction: string | undefined, marker: string): boolean {
  return introduction !== undefined && introduction.endsWith(markerTag(marker));
}
