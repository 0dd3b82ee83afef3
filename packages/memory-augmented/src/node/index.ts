/**
 * @metarl/memory-augmented/node: Node-only helpers (file system): one-shot episodes from image
 * folders laid out as Omniglot's, and the small PNG decoder they use.
 */
export { decodePng, type GreyImage, resizeByAreaAverage } from './decode-png';
export {
  type ImageClass,
  type ImageEpisodeOptions,
  type LoadImageClassesOptions,
  loadImageClasses,
  rotateSquareImage,
  sampleImageEpisodes,
} from './image-episodes';
