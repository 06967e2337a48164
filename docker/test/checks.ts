/**
 * Offline checks of docker/Dockerfile and docker/compose.yaml against the repository, as pure
 * functions that return a list of problems (empty = fine), so the test can run them on the real
 * files and on deliberately broken copies (proving each check can fail).
 */
export * from './dockerfile-model';
export * from './repo-facts';
export * from './dockerfile-checks';
export * from './compose-checks';
