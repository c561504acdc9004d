/**
 * The suite's dev server has two namespaces: `default`, and one for jobs whose data the payload
 * codec encrypts, so that tests listing every job with a keyless client never meet them.
 */
export const ENCRYPTED_NAMESPACE = 'tdg-encrypted';
