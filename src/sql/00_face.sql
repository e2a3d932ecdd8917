-- face extension install script, assembled by the Makefile from src/sql/*.sql in name order.

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION face" to load this file. \quit
