/**
 * 32-bit FNV-1a of a level tag and a value. Profiles keep hashes, not strings, so a person's history
 * has a fixed size whatever the values are (bounded memory), and holds no raw IP or UA string.
 * A collision (about 1 in 4·10⁹ per pair) can only make an unfamiliar value look familiar for one
 * level of one person.
 */
export function hashValue(level: number, value: string): number {
  let hash = (0x811c9dc5 ^ level) >>> 0;
  for (let i = 0; i < value.length; i += 1) {
    hash ^= value.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // 0 marks an empty slot.
  return hash === 0 ? 1 : hash | 0;
}
