// The user the alliance services log in as (MONGODB_URL in docker-compose.yml).
//
// The mongo image runs this once, on the first start with an empty mongo-data volume
// (/docker-entrypoint-initdb.d), after it made the root user. The user may read and write
// every database but admin, local and config (each service keeps its own database,
// <node>_<service>, and creates its collections and indexes), and administer nothing.
db.getSiblingDB("admin").createUser({
  user: process.env.MONGODB_APP_USER,
  pwd: process.env.MONGODB_APP_PASSWORD,
  roles: [{ role: "readWriteAnyDatabase", db: "admin" }],
});
