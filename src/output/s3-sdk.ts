// What the S3 destination uses of the AWS SDK, in one place: scripts/bundle.js bundles this file alone (tree-shaken,
// dist/bundle/s3.cjs), which the commands load only when they write to S3 (see s3-destination.ts).
export {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
