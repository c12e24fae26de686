// ETags of KMS-encrypted objects. S3 documents that an object's ETag "may or may not be an MD5 digest of the object
// data": objects "encrypted by SSE-S3 or plaintext, have ETags that are an MD5 digest of their object data", objects
// "encrypted by SSE-C or SSE-KMS, have ETags that are not an MD5 digest of their object data", and multipart ETags
// never are (botocore's s3 service-2.json, shape Object, member ETag; also "Checking object integrity", S3 User Guide,
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html). DSSE-KMS ('aws:kms:dsse',
// the ServerSideEncryption enum of the same model) is KMS encryption too. moto 5 gives every object the MD5 of its
// data (FakeKey.etag), whatever its encryption, so the front rewrites the ETag of every object stored with 'aws:kms'
// or 'aws:kms:dsse', wherever S3 shows it: the ETag header of PutObject, HeadObject and GetObject, and the <ETag> of
// CompleteMultipartUpload, CopyObject, ListObjects and ListObjectsV2.
//
// The rewritten ETag is 32 hex digits derived from the bucket, the key and moto's own ETag (which changes with the
// data), so it is the same in every answer about one object and changes when the object's data changes, as on AWS;
// it is not the MD5 of the data. A multipart ETag keeps its "-<parts>" suffix. moto does not model SSE-C objects
// (it ignores the customer key headers), so their ETags stay as moto gives them. Conditional headers (If-Match,
// x-amz-copy-source-if-match) are not translated back: a request that names a rewritten ETag fails the condition at
// moto, which is never kinder than AWS.
import { createHash } from 'node:crypto';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { motoAdmin } from './moto.ts';

const KMS = new Set(['aws:kms', 'aws:kms:dsse']);

export function isKms(encryption: string | undefined): boolean {
  return encryption !== undefined && KMS.has(encryption);
}

/** The ETag S3 would show for a KMS-encrypted object, from moto's (with or without quotes, as given). */
export function kmsEtag(bucket: string, key: string, motoEtag: string): string {
  const quoted = motoEtag.startsWith('"');
  const bare = motoEtag.replace(/"/g, '');
  const [hex = '', parts] = bare.split('-');
  const digest = createHash('sha256').update(`sse-kms\0${bucket}\0${key}\0${hex}`).digest('hex').slice(0, 32);
  const etag = parts === undefined ? digest : `${digest}-${parts}`;
  return quoted ? `"${etag}"` : etag;
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (all, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
    return XML_ENTITIES[name] ?? all;
  });
}

/** The object key of a path-style S3 request path. */
export function keyOfPath(pathname: string): { bucket: string; key: string } {
  const [bucket = '', ...rest] = pathname.slice(1).split('/');
  try {
    return { bucket, key: decodeURIComponent(rest.join('/')) };
  } catch {
    return { bucket, key: rest.join('/') }; // not percent-encoding S3 would accept: S3's own answer follows
  }
}

/** How the front rewrites an S3 answer: its ETag header, the <ETag> of its XML result, or a listing's. */
export function etagAnswer(operation: string, copy: boolean): 'header' | 'result' | 'listing' | undefined {
  if (operation === 'ListObjectsV2' || operation === 'ListObjects') return 'listing';
  if (operation === 'CompleteMultipartUpload' || (operation === 'PutObject' && copy)) return 'result';
  if (operation === 'PutObject' || operation === 'HeadObject' || operation === 'GetObject') return 'header';
  return undefined;
}

export class KmsEtags {
  private readonly s3: S3Client;
  /** bucket, key and moto's ETag → the object's encryption ('' for none): an object's data fixes its moto ETag. */
  private readonly known = new Map<string, string>();

  constructor(motoEndpoint: string, region: string) {
    // Straight to moto: what the front asks to learn an object's encryption is not one of the caller's requests.
    this.s3 = new S3Client({ ...motoAdmin(motoEndpoint, region), forcePathStyle: true });
  }

  /** The ETag header of an answer about one object, given the answer's encryption header. */
  header(etag: string | undefined, encryption: string | undefined, bucket: string, key: string): string | undefined {
    if (etag === undefined || !isKms(encryption)) return etag;
    this.known.set(`${bucket}\0${key}\0${etag.replace(/"/g, '')}`, encryption ?? '');
    return kmsEtag(bucket, key, etag);
  }

  /**
   * The <ETag> of a CompleteMultipartUpload or CopyObject result. CompleteMultipartUpload's answer says how the object
   * is encrypted; moto's CopyObject answer does not, so the front asks moto.
   */
  async result(xml: string, encryption: string | undefined, bucket: string, key: string): Promise<string> {
    const escaped = /<ETag>([^<]*)<\/ETag>/.exec(xml)?.[1];
    if (escaped === undefined) return xml;
    const sse = encryption ?? (await this.encryption(bucket, key, unescapeXml(escaped).replace(/"/g, '')));
    if (!isKms(sse)) return xml;
    return xml.replace(/<ETag>[^<]*<\/ETag>/, `<ETag>${this.rewriteEscaped(escaped, bucket, key)}</ETag>`);
  }

  /**
   * A ListObjects or ListObjectsV2 answer with the ETag of every KMS-encrypted object rewritten. A listing does not
   * say how an object is encrypted, so the front asks moto (HeadObject), once per object and data.
   */
  async listing(xml: string, bucket: string, urlEncoded: boolean): Promise<string> {
    const entries = [...xml.matchAll(/<Contents>((?:(?!<\/Contents>)[\s\S])*)<\/Contents>/g)];
    const rewritten = new Map<string, string>();
    await Promise.all(
      entries.map(async ([, body = '']) => {
        const rawKey = /<Key>([^<]*)<\/Key>/.exec(body)?.[1];
        const etag = /<ETag>([^<]*)<\/ETag>/.exec(body)?.[1];
        if (rawKey === undefined || etag === undefined) return;
        let key = unescapeXml(rawKey);
        // encoding-type=url: S3 URL-encodes the keys of the answer (ListObjectsV2, EncodingType).
        if (urlEncoded) key = decodeURIComponent(key.replace(/\+/g, ' '));
        const moto = unescapeXml(etag).replace(/"/g, '');
        if (isKms(await this.encryption(bucket, key, moto)))
          rewritten.set(body, this.rewriteEscaped(etag, bucket, key));
      }),
    );
    if (rewritten.size === 0) return xml;
    return xml.replace(/<Contents>((?:(?!<\/Contents>)[\s\S])*)<\/Contents>/g, (all, body: string) => {
      const etag = rewritten.get(body);
      return etag === undefined
        ? all
        : `<Contents>${body.replace(/<ETag>[^<]*<\/ETag>/, `<ETag>${etag}</ETag>`)}</Contents>`;
    });
  }

  /** An escaped <ETag> text (moto writes the quotes as &#34;) rewritten, keeping its escaping. */
  private rewriteEscaped(escaped: string, bucket: string, key: string): string {
    const bare = unescapeXml(escaped).replace(/"/g, '');
    const quote = /^(&#34;|&quot;|")/.exec(escaped)?.[1] ?? '';
    return `${quote}${kmsEtag(bucket, key, bare)}${quote}`;
  }

  private async encryption(bucket: string, key: string, motoEtag: string): Promise<string> {
    const id = `${bucket}\0${key}\0${motoEtag}`;
    const known = this.known.get(id);
    if (known !== undefined) return known;
    const head = await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
    const encryption = head?.ServerSideEncryption ?? '';
    // Only what matches the listing is kept: an object replaced since then is asked about again.
    if (head?.ETag?.replace(/"/g, '') === motoEtag) this.known.set(id, encryption);
    return encryption;
  }
}
