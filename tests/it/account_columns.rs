//! Sets the FlexiAPI 2.x account columns (`dtmf_protocol`, `display_name`)
//! with a plain UPDATE: a test of contacts or actions then does not depend
//! on the rules of `PUT /api/accounts/{id}`.

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, Query};

use crate::helpers::TestApp;

pub async fn set(app: &TestApp, account_id: i32, column: &str, value: Option<&str>) {
    let update = Query::update()
        .table(Alias::new("accounts"))
        .value(Alias::new(column), value.map(str::to_string))
        .and_where(Expr::col(Alias::new("id")).eq(account_id))
        .to_owned();
    let db = &app.state.db;
    db.execute(db.get_database_backend().build(&update))
        .await
        .unwrap();
}
