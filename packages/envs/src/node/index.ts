/**
 * @metarl/envs/node: the Node-only part of @metarl/envs (file system and node:zlib): few-shot
 * datasets read from folders of PNG images, such as Omniglot. The main entry stays browser-safe.
 */
export {
  type ImageFolderDataset,
  type ImageFolderOptions,
  loadImageFolderDataset,
} from './load-image-folder-dataset';
