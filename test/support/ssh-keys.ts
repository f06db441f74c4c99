// Host keys for unit tests: well-formed public keys whose private half exists nowhere (the bytes are made up).

/** An `ssh-ed25519 <base64>` public key line; different seeds give different keys. */
export function testHostKey(seed = 1): string {
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const type = Buffer.from("ssh-ed25519");
  return `ssh-ed25519 ${Buffer.concat([u32(type.length), type, u32(32), Buffer.alloc(32, seed)]).toString("base64")}`;
}
